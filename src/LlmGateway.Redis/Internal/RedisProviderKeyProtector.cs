using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Redis.Internal;

/// <summary>
/// Encrypts the provider keys the admin API stores, with ASP.NET Core Data Protection: an isolated key ring of the
/// gateway's own (application name <c>LlmGateway</c>, purpose <c>LlmGateway.ProviderKeys.v1</c>), kept in Redis
/// (list <c>{prefix}dataprotection-keys</c>) so every instance can read what another wrote (ephemeral in memory if
/// the connection has no configuration).
/// </summary>
/// <remarks>
/// The key ring is the gateway's own, in a private service provider, so it neither uses nor disturbs the host app's
/// Data Protection setup. No XML encryptor is configured: the key ring in Redis is as safe as Redis is (Data
/// Protection logs a warning saying so), which is also what guards the gateway keys' records.
/// </remarks>
internal sealed class RedisProviderKeyProtector : IProviderKeyProtector, IDisposable
{
    public const string ApplicationName = "LlmGateway";
    public const string Purpose = "LlmGateway.ProviderKeys.v1";

    private ServiceProvider? _services;
    private readonly Lazy<IDataProtector> _protector;
    private readonly RedisConnection _redis;
    private readonly ILogger<RedisProviderKeyProtector> _logger;

    public RedisProviderKeyProtector(RedisConnection redis, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _redis = redis;
        _logger = loggerFactory.CreateLogger<RedisProviderKeyProtector>();
        // Made on first use: most gateways never store a provider key, and a key ring costs a generated key, Data
        // Protection's services and the crypto code behind them in every process.
        _protector = new Lazy<IDataProtector>(() => CreateProtector(redis, loggerFactory, out _services));
    }

    private static IDataProtector CreateProtector(RedisConnection redis, ILoggerFactory loggerFactory, out ServiceProvider? services)
    {
        if (!redis.IsConfigured)
        {
            services = null;
            return new EphemeralDataProtectionProvider(loggerFactory).CreateProtector(Purpose);
        }

        var collection = new ServiceCollection();
        collection.AddSingleton(loggerFactory);
        collection.AddDataProtection()
            .SetApplicationName(ApplicationName)
            .PersistKeysToStackExchangeRedis(redis.GetDatabase, redis.Prefix + "dataprotection-keys");
        services = collection.BuildServiceProvider();
        return services.GetRequiredService<IDataProtectionProvider>().CreateProtector(Purpose);
    }

    /// <exception cref="KeyStoreUnavailableException">The key ring (Redis) cannot be read or written.</exception>
    public string Protect(string providerKey)
    {
        ArgumentNullException.ThrowIfNull(providerKey);
        try
        {
            return _protector.Value.Protect(providerKey);
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            throw new KeyStoreUnavailableException("The Data Protection key ring (Redis) is unavailable; the provider key cannot be encrypted.", ex);
        }
    }

    /// <summary>The plain key, or null when it cannot be decrypted (key ring lost).</summary>
    /// <exception cref="KeyStoreUnavailableException">The key ring was never read and Redis is unavailable. (Once read,
    /// the key ring is kept in memory and outlives an outage.)</exception>
    public string? Unprotect(string protectedKey)
    {
        ArgumentNullException.ThrowIfNull(protectedKey);
        try
        {
            return _protector.Value.Unprotect(protectedKey);
        }
        catch (CryptographicException ex) when (!IsUnavailable(ex))
        {
            _logger.ProviderKeyUndecryptable();
            return null;
        }
        catch (Exception ex) when (IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            throw new KeyStoreUnavailableException("The Data Protection key ring (Redis) is unavailable; the provider key cannot be decrypted.", ex);
        }
    }

    public void Dispose() => _services?.Dispose();

    /// <summary>Whether the failure (or one it wraps) is Redis being away.</summary>
    private bool IsUnavailable(Exception exception)
    {
        if (_services is null)
        {
            return false;
        }

        for (var current = exception; current is not null; current = current.InnerException)
        {
            if (RedisConnection.IsUnavailable(current))
            {
                return true;
            }
        }

        return false;
    }
}
