using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LlmGateway.Redis.Internal;

/// <summary>
/// The response cache's store: the store registered before (by default each process's own memory) in front of Redis,
/// which every instance shares.
/// </summary>
/// <remarks>
/// <para>The near level is whatever <see cref="IResponseCacheStore"/> was registered before this one decorated it (Core's
/// memory store unless the app registered its own): every entry written or read from Redis is kept there for the rest
/// of its lifetime, a hit there needs no round trip, and purges reach it too.</para>
/// <para>Redis layout (prefix <c>LlmGateway:RedisKeyPrefix</c>): one hash per entry, <c>{prefix}cache:{key}</c>, with
/// fields <c>m</c> (model), <c>p</c> (provider), <c>c</c> (created, Unix ms) and <c>b</c> (blob), expiring with the
/// entry (written by one script: HSET and PEXPIRE). A read is one script (HMGET and PTTL). A purge SCANs
/// <c>{prefix}cache:*</c>, reads the fields of each page in one pipeline, UNLINKs the matching entries, and publishes its
/// criteria (JSON) on <c>{prefix}cache:purge</c>, to which every instance subscribes at its first Redis read or write,
/// so each purges its near level (the purging one at once, without waiting for its own message).</para>
/// <para>While Redis is unavailable, reads are answered by the near level (else a miss), writes go there only, and a
/// purge removes this instance's entries only and says so in the log; nothing throws. Each command tries Redis again, so
/// the store uses it as soon as it is back. Purges made elsewhere while this instance was cut off do not reach its near
/// level: its entries there live out their lifetime.</para>
/// </remarks>
internal sealed class TwoLevelCacheStore : IResponseCacheStore, IDisposable
{
    private const int ScanPageSize = 1000;

    /// <summary>Entries live at most this long, whatever the TTL asked (beyond it, date arithmetic would overflow).</summary>
    private static readonly TimeSpan s_maxLifetime = TimeSpan.FromDays(3650);

    private static readonly TimeSpan s_refusedLogInterval = TimeSpan.FromMinutes(1);

    private static readonly RedisValue[] s_infoFields = ["m", "p", "c"];

    // KEYS[1]: the entry. ARGV: model, provider, created (Unix ms), blob, lifetime (ms).
    private const string SetScript = """
        redis.call('HSET', KEYS[1], 'm', ARGV[1], 'p', ARGV[2], 'c', ARGV[3], 'b', ARGV[4])
        redis.call('PEXPIRE', KEYS[1], ARGV[5])
        return 1
        """;

    // KEYS[1]: the entry. Returns { model, provider, created, blob, remaining lifetime (ms) }, or nil.
    private const string GetScript = """
        local v = redis.call('HMGET', KEYS[1], 'm', 'p', 'c', 'b')
        if not v[4] then
          return false
        end
        local ttl = redis.call('PTTL', KEYS[1])
        if ttl <= 0 then
          return false
        end
        return { v[1], v[2], v[3], v[4], ttl }
        """;

    private readonly RedisConnection _redis;
    private readonly IResponseCacheStore _near;
    private readonly IOptionsMonitor<LlmGatewayOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TwoLevelCacheStore> _logger;
    private readonly string _entryPrefix;
    private readonly string _scanPattern;
    private readonly RedisChannel _channel;
    private readonly RedisSubscription _purges;
    private long _refusedLoggedAt;

    public TwoLevelCacheStore(RedisConnection redis, IResponseCacheStore near, IOptionsMonitor<LlmGatewayOptions> options, TimeProvider timeProvider, ILogger<TwoLevelCacheStore> logger)
    {
        _redis = redis;
        _near = near;
        _options = options;
        _time = timeProvider;
        _logger = logger;
        _entryPrefix = redis.Prefix + "cache:";
        _scanPattern = EscapeGlob(_entryPrefix);
        _channel = RedisChannel.Literal(redis.Prefix + "cache:purge");
        _purges = new RedisSubscription(redis, _channel, OnPurgeMessage, _logger.CachePurgeSubscriptionFailed);
    }

    /// <remarks>A hit in the near level completes as that level does (synchronously, without allocating, for memory).</remarks>
    public ValueTask<(byte[] Blob, TimeSpan Remaining)?> GetAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var near = _near.GetAsync(key, cancellationToken);
        if (!near.IsCompletedSuccessfully)
        {
            return GetAfterNearAsync(near, key, cancellationToken);
        }

        return near.Result is not null || !_redis.IsConfigured ? near : GetFromRedisAsync(key, cancellationToken);
    }

    /// <remarks>Redis commands are bounded by the connection's timeouts; the token is not observed, so that a cache write
    /// never turns into an error.</remarks>
    public async ValueTask SetAsync(CacheEntryInfo info, byte[] blob, TimeSpan ttl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info.Key);
        ArgumentNullException.ThrowIfNull(blob);
        if (ttl <= TimeSpan.Zero)
        {
            return;
        }

        var maxEntryBytes = _options.CurrentValue.Cache.MaxEntryBytes;
        if (blob.Length > maxEntryBytes)
        {
            _logger.CacheEntryTooLarge(blob.Length, maxEntryBytes);
            return;
        }

        ttl = ttl < s_maxLifetime ? ttl : s_maxLifetime;
        await _near.SetAsync(info, blob, ttl, CancellationToken.None);
        if (_redis.IsConfigured)
        {
            await SetInRedisAsync(info, blob, ttl);
        }
    }

    /// <remarks>The token is checked between pages of the Redis scan.</remarks>
    public async ValueTask<long> PurgeAsync(CachePurge purge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(purge);
        var now = _time.GetUtcNow();
        if (!_redis.IsConfigured)
        {
            return await _near.PurgeAsync(purge, cancellationToken);
        }

        long fromRedis = 0;
        try
        {
            var database = await _redis.GetDatabaseAsync();
            var pattern = purge.KeyPrefix is null ? _scanPattern + "*" : _scanPattern + EscapeGlob(purge.KeyPrefix) + "*";
            var readFields = purge.Model is not null || purge.Provider is not null || purge.OlderThan is not null;
            var cursor = "0";
            do
            {
                cancellationToken.ThrowIfCancellationRequested();
                var page = await database.ExecuteAsync("SCAN", cursor, "MATCH", pattern, "COUNT", ScanPageSize);
                cursor = (string?)page[0] ?? "0";
                var keys = (RedisKey[]?)page[1] ?? [];
                var doomed = readFields ? await MatchingAsync(database, keys, purge, now) : [.. keys.Select(static k => (object)k)];
                if (doomed.Count > 0)
                {
                    fromRedis += (long)await database.ExecuteAsync("UNLINK", doomed, CommandFlags.None);
                }
            }
            while (cursor != "0");

            var message = new CachePurgeMessage(purge.Model, purge.Provider, purge.KeyPrefix, purge.OlderThan is { } age ? (now - age).ToUnixTimeMilliseconds() : null);
            await database.PublishAsync(_channel, JsonSerializer.SerializeToUtf8Bytes(message, CacheStoreJsonContext.Default.CachePurgeMessage));
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            var fromNear = await _near.PurgeAsync(purge, CancellationToken.None);
            _logger.CachePurgedInMemoryOnly(fromNear, fromRedis);
            return fromRedis > 0 ? fromRedis : fromNear;
        }

        _redis.ReportSuccess();

        // At once here, whether or not this instance's own message comes back (it would find nothing more, unless a
        // lookup put back an entry it read from Redis before the UNLINK: then it catches that one too).
        await _near.PurgeAsync(purge, CancellationToken.None);
        return fromRedis;
    }

    public void Dispose() => _purges.Unsubscribe();

    private async ValueTask<(byte[] Blob, TimeSpan Remaining)?> GetAfterNearAsync(ValueTask<(byte[] Blob, TimeSpan Remaining)?> near, string key, CancellationToken cancellationToken) =>
        await near ?? (_redis.IsConfigured ? await GetFromRedisAsync(key, cancellationToken) : null);

    private async ValueTask<(byte[] Blob, TimeSpan Remaining)?> GetFromRedisAsync(string key, CancellationToken cancellationToken)
    {
        RedisResult result;
        try
        {
            var database = await _redis.GetDatabaseAsync();
            await _purges.EnsureAsync();
            result = await database.ScriptEvaluateAsync(GetScript, [_entryPrefix + key]);
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            _logger.CacheReadFromMemoryOnly();
            return null;
        }
        catch (RedisServerException ex)
        {
            LogRefused("read", ex);
            return null;
        }

        _redis.ReportSuccess();
        if (result.Length < 5 || (byte[]?)result[3] is not { } blob || (long?)result[4] is not { } remainingMs || remainingMs <= 0)
        {
            return null;
        }

        var remaining = TimeSpan.FromMilliseconds(remainingMs);
        var info = new CacheEntryInfo(key, (string?)result[0] ?? "", (string?)result[1] ?? "", ParseCreatedAt((string?)result[2]));
        await _near.SetAsync(info, blob, remaining, cancellationToken);
        return (blob, remaining);
    }

    private async ValueTask SetInRedisAsync(CacheEntryInfo info, byte[] blob, TimeSpan ttl)
    {
        try
        {
            var database = await _redis.GetDatabaseAsync();
            await _purges.EnsureAsync();
            await database.ScriptEvaluateAsync(
                SetScript,
                [_entryPrefix + info.Key],
                [info.Model, info.Provider, info.CreatedAt.ToUnixTimeMilliseconds(), blob, Math.Max(1, (long)Math.Ceiling(ttl.TotalMilliseconds))]);
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            _logger.CacheWrittenToMemoryOnly();
            return;
        }
        catch (RedisServerException ex)
        {
            LogRefused("write", ex);
            return;
        }

        _redis.ReportSuccess();
    }

    /// <summary>The keys of one scan page whose fields match (read in one pipeline), as UNLINK's arguments.</summary>
    private async Task<List<object>> MatchingAsync(IDatabase database, RedisKey[] keys, CachePurge purge, DateTimeOffset now)
    {
        var reads = new Task<RedisValue[]>[keys.Length];
        for (var i = 0; i < keys.Length; i++)
        {
            reads[i] = database.HashGetAsync(keys[i], s_infoFields);
        }

        await ((Task)Task.WhenAll(reads)).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        var matching = new List<object>();
        for (var i = 0; i < keys.Length; i++)
        {
            if (reads[i].Exception?.InnerException is RedisServerException)
            {
                // Not a hash (not an entry of this store): left alone.
                continue;
            }

            var fields = await reads[i];
            if (fields[0].IsNull && fields[1].IsNull)
            {
                // Expired since the scan saw it.
                continue;
            }

            var info = new CacheEntryInfo(((string)keys[i]!)[_entryPrefix.Length..], (string?)fields[0] ?? "", (string?)fields[1] ?? "", ParseCreatedAt((string?)fields[2]));
            if (purge.Matches(info, now))
            {
                matching.Add(keys[i]);
            }
        }

        return matching;
    }

    private void OnPurgeMessage(RedisChannel channel, RedisValue message)
    {
        CachePurgeMessage? criteria;
        try
        {
            criteria = JsonSerializer.Deserialize((byte[]?)message ?? [], CacheStoreJsonContext.Default.CachePurgeMessage);
        }
        catch (JsonException ex)
        {
            _logger.CachePurgeMessageUnreadable(ex);
            return;
        }

        if (criteria is not null)
        {
            _ = PurgeNearAsync(criteria);
        }
    }

    /// <summary>Applies a purge published by an instance to the near level; never throws (it runs unobserved).</summary>
    private async Task PurgeNearAsync(CachePurgeMessage criteria)
    {
        try
        {
            var now = _time.GetUtcNow();
            var olderThan = criteria.CreatedBefore is { } before ? now - DateTimeOffset.FromUnixTimeMilliseconds(before) : (TimeSpan?)null;
            var removed = await _near.PurgeAsync(new CachePurge(criteria.Model, criteria.Provider, criteria.KeyPrefix, olderThan), CancellationToken.None);
            _logger.CachePurgeReceived(removed);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            _logger.CachePurgeNearFailed(ex);
        }
    }

    /// <summary>Logs a refused command at most once a minute: a full Redis (maxmemory) would refuse every write.</summary>
    private void LogRefused(string operation, RedisServerException exception)
    {
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _refusedLoggedAt);
        if ((last == 0 || _time.GetElapsedTime(last, now) >= s_refusedLogInterval)
            && Interlocked.CompareExchange(ref _refusedLoggedAt, now, last) == last)
        {
            _logger.CacheRedisRefused(operation, exception);
        }
    }

    private static DateTimeOffset ParseCreatedAt(string? value) =>
        long.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var ms)
            ? DateTimeOffset.FromUnixTimeMilliseconds(ms)
            : DateTimeOffset.UnixEpoch;

    /// <summary>Escapes the characters SCAN's MATCH treats as a pattern, so a prefix matches only itself.</summary>
    private static string EscapeGlob(string value)
    {
        if (value.AsSpan().IndexOfAny(@"*?[]\") < 0)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 8);
        foreach (var c in value)
        {
            if (c is '*' or '?' or '[' or ']' or '\\')
            {
                builder.Append('\\');
            }

            builder.Append(c);
        }

        return builder.ToString();
    }
}

/// <summary>A purge's criteria as published to the other instances; the age limit as an instant, so that the
/// message's delay does not move it.</summary>
/// <param name="Model">The upstream model, or null.</param>
/// <param name="Provider">The provider instance, or null.</param>
/// <param name="KeyPrefix">A prefix of the cache key, or null.</param>
/// <param name="CreatedBefore">Entries created before this instant (Unix ms) match.</param>
internal sealed record CachePurgeMessage(string? Model, string? Provider, string? KeyPrefix, long? CreatedBefore);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(CachePurgeMessage))]
internal sealed partial class CacheStoreJsonContext : JsonSerializerContext;
