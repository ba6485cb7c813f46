using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LlmGateway.Redis.Internal;

/// <summary>
/// The one Redis connection of a gateway process, when <c>LlmGateway:Redis</c> is set (read once, at start-up).
/// Commands fail fast while Redis is unreachable (no backlog), so a store can fall back to memory at once instead of
/// holding requests; the multiplexer reconnects by itself and <see cref="Restored"/> tells the stores to catch up.
/// </summary>
internal sealed class RedisConnection : IAsyncDisposable, IDisposable
{
    private readonly ILogger<RedisConnection> _logger;
    private readonly Lazy<Task<ConnectionMultiplexer>>? _connection;
    private int _degraded;

    public RedisConnection(IOptions<LlmGatewayOptions> options, ILogger<RedisConnection> logger)
    {
        _logger = logger;
        var value = options.Value;
        Prefix = value.RedisKeyPrefix;
        if (string.IsNullOrWhiteSpace(value.Redis))
        {
            return;
        }

        var configuration = ConfigurationOptions.Parse(value.Redis);
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;
        if (!value.Redis.Contains("connectTimeout", StringComparison.OrdinalIgnoreCase))
        {
            configuration.ConnectTimeout = 2000;
        }

        if (!value.Redis.Contains("asyncTimeout", StringComparison.OrdinalIgnoreCase))
        {
            configuration.AsyncTimeout = 2000;
        }

        Endpoint = string.Join(",", configuration.EndPoints.Select(static e => e.ToString()));
        _connection = new Lazy<Task<ConnectionMultiplexer>>(() => ConnectAsync(configuration));
    }

    /// <summary>Gets a value indicating whether <c>LlmGateway:Redis</c> is set.</summary>
    public bool IsConfigured => _connection is not null;

    /// <summary>Gets the key prefix (<c>LlmGateway:RedisKeyPrefix</c>).</summary>
    public string Prefix { get; }

    /// <summary>Gets the endpoints, for health reports (no password).</summary>
    public string? Endpoint { get; }

    /// <summary>Gets a value indicating whether the last command failed for want of Redis and it has not come back since.</summary>
    public bool IsDegraded => Volatile.Read(ref _degraded) == 1;

    /// <summary>Raised when Redis is reachable again after a failure.</summary>
    public event Action? Restored;

    /// <summary>Gets the database; throws <see cref="RedisUnavailableException"/> when Redis is not connected (commands on
    /// it throw <see cref="RedisException"/> subtypes): <see cref="IsUnavailable"/> tells both apart from other failures.</summary>
    public async ValueTask<IDatabase> GetDatabaseAsync()
    {
        if (_connection is null)
        {
            throw new InvalidOperationException("LlmGateway:Redis is not set.");
        }

        var multiplexer = await _connection.Value;
        if (!multiplexer.IsConnected)
        {
            throw new RedisUnavailableException("Redis is not connected.");
        }

        return multiplexer.GetDatabase();
    }

    /// <summary>Gets the database synchronously, for Data Protection's key repository, whose interface is synchronous
    /// (it reads the key ring at the first use and about once a day). Waits for the first connection attempt, which the
    /// connect timeout bounds; throws like <see cref="GetDatabaseAsync"/>.</summary>
    public IDatabase GetDatabase()
    {
        if (_connection is null)
        {
            throw new InvalidOperationException("LlmGateway:Redis is not set.");
        }

        var multiplexer = _connection.Value.GetAwaiter().GetResult();
        if (!multiplexer.IsConnected)
        {
            throw new RedisUnavailableException("Redis is not connected.");
        }

        return multiplexer.GetDatabase();
    }

    /// <summary>Gets the subscriber, for change notifications between instances.</summary>
    public async ValueTask<ISubscriber> GetSubscriberAsync()
    {
        if (_connection is null)
        {
            throw new InvalidOperationException("LlmGateway:Redis is not set.");
        }

        return (await _connection.Value).GetSubscriber();
    }

    /// <summary>Whether an exception means Redis could not be reached or did not answer in time.</summary>
    public static bool IsUnavailable(Exception exception) =>
        exception is RedisUnavailableException or RedisConnectionException or RedisTimeoutException or TimeoutException or ObjectDisposedException
        || exception is RedisException && !(exception is RedisServerException);

    /// <summary>Records that a command failed because Redis is away; logged once per outage.</summary>
    public void ReportFailure(Exception exception)
    {
        if (Interlocked.Exchange(ref _degraded, 1) == 0)
        {
            _logger.RedisUnavailable(Endpoint, exception.GetType().Name, exception.Message);
        }
    }

    /// <summary>Records that a command succeeded; the first after an outage raises <see cref="Restored"/>.</summary>
    public void ReportSuccess()
    {
        if (Interlocked.Exchange(ref _degraded, 0) == 1)
        {
            _logger.RedisRestored(Endpoint);
            Restored?.Invoke();
        }
    }

    private async Task<ConnectionMultiplexer> ConnectAsync(ConfigurationOptions configuration)
    {
        var multiplexer = await ConnectionMultiplexer.ConnectAsync(configuration);
        multiplexer.ConnectionFailed += (_, e) => ReportFailure(e.Exception ?? new RedisUnavailableException($"Redis connection failed ({e.FailureType})."));
        multiplexer.ConnectionRestored += (_, _) => ReportSuccess();
        if (!multiplexer.IsConnected)
        {
            ReportFailure(new RedisUnavailableException("Redis is not reachable."));
        }

        return multiplexer;
    }

    public void Dispose()
    {
        if (_connection is { IsValueCreated: true } connection && connection.Value.IsCompletedSuccessfully)
        {
            connection.Value.Result.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_connection is { IsValueCreated: true } connection)
        {
            try
            {
                await (await connection.Value).DisposeAsync();
            }
            catch (RedisException)
            {
                // closing a connection that never came up
            }
        }
    }
}

/// <summary>Redis is not connected.</summary>
internal sealed class RedisUnavailableException(string message) : Exception(message);
