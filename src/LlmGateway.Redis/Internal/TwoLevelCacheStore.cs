using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace LlmGateway.Redis.Internal;

/// <summary>
/// The response cache's store: this process's memory in front of Redis (when <c>LlmGateway:Redis</c> is set), which
/// every instance shares.
/// </summary>
/// <remarks>
/// <para>Memory: a <see cref="MemoryCache"/> of its own (not the app's), limited to
/// <see cref="CacheOptions.MemoryLimitBytes"/>, each entry counted as its blob and key plus
/// <see cref="EntryOverheadBytes"/>. Past the limit, the write that finds it full is not kept in memory and the cache
/// compacts in the background to 90 % of the limit, least recently used first; an entry larger than the whole limit is
/// never kept there. Expiry and "recently used" follow the injected <see cref="TimeProvider"/>. An index of what memory
/// holds (kept by the eviction callbacks) lets purges find entries by model, provider and age.</para>
/// <para>Redis layout (prefix <c>LlmGateway:RedisKeyPrefix</c>): one hash per entry, <c>{prefix}cache:{key}</c>, with
/// fields <c>m</c> (model), <c>p</c> (provider), <c>c</c> (created, Unix ms) and <c>b</c> (blob), expiring with the
/// entry (written by one script: HSET and PEXPIRE). A read is one script (HMGET and PTTL); an entry found there is kept
/// in memory for the rest of its lifetime. A purge SCANs <c>{prefix}cache:*</c>, reads the fields of each page in one
/// pipeline, UNLINKs the matching entries, and publishes its criteria (JSON) on <c>{prefix}cache:purge</c>, to which
/// every instance subscribes at its first Redis read or write, so each drops its matching entries (the purging one
/// at once, without waiting for its own message).</para>
/// <para>While Redis is unavailable, reads are answered from memory (else a miss), writes go to memory only, and a purge
/// removes this instance's entries only and says so in the log; nothing throws. Each command tries Redis again, so the
/// store uses it as soon as it is back. Purges made elsewhere while this instance was cut off do not reach its memory:
/// its entries there live out their lifetime.</para>
/// <para>Returned blobs are the stored arrays themselves (no copy on a hit): callers must not change them.</para>
/// </remarks>
internal sealed class TwoLevelCacheStore : IResponseCacheStore, IDisposable
{
    /// <summary>What an entry costs in memory besides its blob and key: the cache's entry, this store's record and the
    /// index's node.</summary>
    internal const int EntryOverheadBytes = 256;

    private const int ScanPageSize = 1000;

    /// <summary>Entries live at most this long, whatever the TTL asked (beyond it, date arithmetic would overflow).</summary>
    private static readonly TimeSpan s_maxLifetime = TimeSpan.FromDays(3650);

    private static readonly TimeSpan s_refusedLogInterval = TimeSpan.FromMinutes(1);

    private static readonly RedisValue[] s_infoFields = ["m", "p", "c"];

    private static readonly PostEvictionDelegate s_onEvicted = static (key, value, _, state) =>
    {
        if (state is TwoLevelCacheStore store && key is string k && value is MemoryEntry entry)
        {
            // Only this record: the key may hold a newer entry already.
            store._index.TryRemove(KeyValuePair.Create(k, entry));
        }
    };

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
    private readonly IOptionsMonitor<LlmGatewayOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<TwoLevelCacheStore> _logger;
    private readonly long _memoryLimit;
    private readonly MemoryCache _memory;
    private readonly ConcurrentDictionary<string, MemoryEntry> _index = new(StringComparer.Ordinal);
    private readonly string _entryPrefix;
    private readonly string _scanPattern;
    private readonly RedisChannel _channel;
    private readonly RedisSubscription _purges;
    private long _refusedLoggedAt;

    public TwoLevelCacheStore(RedisConnection redis, IOptionsMonitor<LlmGatewayOptions> options, TimeProvider timeProvider, ILogger<TwoLevelCacheStore> logger)
    {
        _redis = redis;
        _options = options;
        _time = timeProvider;
        _logger = logger;

        // The memory cache's size limit is fixed at creation: a change of MemoryLimitBytes applies at the next start.
        _memoryLimit = Math.Max(0, options.CurrentValue.Cache.MemoryLimitBytes);
        _memory = new MemoryCache(new MemoryCacheOptions
        {
            SizeLimit = _memoryLimit,
            Clock = new TimeProviderClock(timeProvider),

            // A write that finds memory full is dropped while the cache compacts; making room for several at a time
            // keeps that rare.
            CompactionPercentage = 0.1,
        });
        _entryPrefix = redis.Prefix + "cache:";
        _scanPattern = EscapeGlob(_entryPrefix);
        _channel = RedisChannel.Literal(redis.Prefix + "cache:purge");
        _purges = new RedisSubscription(redis, _channel, OnPurgeMessage, _logger.CachePurgeSubscriptionFailed);
    }

    /// <summary>What an entry counts for against <see cref="CacheOptions.MemoryLimitBytes"/>.</summary>
    internal static long MemorySize(string key, byte[] blob) => blob.Length + (2L * key.Length) + EntryOverheadBytes;

    /// <summary>Whether memory holds an entry for <paramref name="key"/>, without counting as a use of it (for tests).</summary>
    internal bool HoldsInMemory(string key) => _index.ContainsKey(key);

    /// <remarks>A hit in memory completes synchronously and allocates nothing.</remarks>
    public ValueTask<(byte[] Blob, TimeSpan Remaining)?> GetAsync(string key, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_memory.TryGetValue(key, out var value) && value is MemoryEntry entry)
        {
            var remaining = entry.ExpiresAt - _time.GetUtcNow();
            if (remaining > TimeSpan.Zero)
            {
                return new ValueTask<(byte[] Blob, TimeSpan Remaining)?>((entry.Blob, remaining));
            }
        }

        return _redis.IsConfigured ? GetFromRedisAsync(key) : default;
    }

    /// <remarks>Redis commands are bounded by the connection's timeouts; the token is not observed, so that a cache write
    /// never turns into an error.</remarks>
    public ValueTask SetAsync(CacheEntryInfo info, byte[] blob, TimeSpan ttl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info.Key);
        ArgumentNullException.ThrowIfNull(blob);
        if (ttl <= TimeSpan.Zero)
        {
            return ValueTask.CompletedTask;
        }

        var maxEntryBytes = _options.CurrentValue.Cache.MaxEntryBytes;
        if (blob.Length > maxEntryBytes)
        {
            _logger.CacheEntryTooLarge(blob.Length, maxEntryBytes);
            return ValueTask.CompletedTask;
        }

        ttl = ttl < s_maxLifetime ? ttl : s_maxLifetime;
        Remember(info, blob, ttl);
        return _redis.IsConfigured ? SetInRedisAsync(info, blob, ttl) : ValueTask.CompletedTask;
    }

    /// <remarks>The token is checked between pages of the Redis scan.</remarks>
    public async ValueTask<long> PurgeAsync(CachePurge purge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(purge);
        var now = _time.GetUtcNow();
        if (!_redis.IsConfigured)
        {
            return PurgeMemory(purge, now);
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
            var fromMemory = PurgeMemory(purge, now);
            _logger.CachePurgedInMemoryOnly(fromMemory, fromRedis);
            return fromRedis > 0 ? fromRedis : fromMemory;
        }

        _redis.ReportSuccess();

        // At once here, whether or not this instance's own message comes back (it would find nothing more, unless a
        // lookup put back an entry it read from Redis before the UNLINK: then it catches that one too).
        PurgeMemory(purge, now);
        return fromRedis;
    }

    public void Dispose()
    {
        _purges.Unsubscribe();
        _memory.Dispose();
    }

    private async ValueTask<(byte[] Blob, TimeSpan Remaining)?> GetFromRedisAsync(string key)
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
        Remember(new CacheEntryInfo(key, (string?)result[0] ?? "", (string?)result[1] ?? "", ParseCreatedAt((string?)result[2])), blob, remaining);
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

    /// <summary>Keeps an entry in memory for <paramref name="lifetime"/>, unless it alone exceeds the memory limit.</summary>
    private void Remember(CacheEntryInfo info, byte[] blob, TimeSpan lifetime)
    {
        var size = MemorySize(info.Key, blob);
        if (size > _memoryLimit)
        {
            return;
        }

        var entry = new MemoryEntry(info, blob, _time.GetUtcNow() + lifetime);

        // Indexed first: the eviction callback (also run for a write the cache refuses) then always finds it.
        _index[info.Key] = entry;
        using var cacheEntry = _memory.CreateEntry(info.Key);
        cacheEntry.Value = entry;
        cacheEntry.Size = size;
        cacheEntry.AbsoluteExpirationRelativeToNow = lifetime;
        cacheEntry.RegisterPostEvictionCallback(s_onEvicted, this);
    }

    /// <summary>Removes the matching entries from memory; returns how many of them had not expired.</summary>
    private long PurgeMemory(CachePurge purge, DateTimeOffset now)
    {
        long removed = 0;
        foreach (var (key, entry) in _index)
        {
            if (purge.Matches(entry.Info, now) && _index.TryRemove(KeyValuePair.Create(key, entry)))
            {
                _memory.Remove(key);
                if (entry.ExpiresAt > now)
                {
                    removed++;
                }
            }
        }

        return removed;
    }

    private void OnPurgeMessage(RedisChannel channel, RedisValue message)
    {
        try
        {
            if (JsonSerializer.Deserialize((byte[]?)message ?? [], CacheStoreJsonContext.Default.CachePurgeMessage) is not { } criteria)
            {
                return;
            }

            var now = _time.GetUtcNow();
            var olderThan = criteria.CreatedBefore is { } before ? now - DateTimeOffset.FromUnixTimeMilliseconds(before) : (TimeSpan?)null;
            var removed = PurgeMemory(new CachePurge(criteria.Model, criteria.Provider, criteria.KeyPrefix, olderThan), now);
            _logger.CachePurgeReceived(removed);
        }
        catch (JsonException ex)
        {
            _logger.CachePurgeMessageUnreadable(ex);
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

    /// <summary>What memory holds for a key. A class compared by reference: the index and the eviction callback must
    /// tell this write from a later one of the same key.</summary>
    private sealed class MemoryEntry(CacheEntryInfo info, byte[] blob, DateTimeOffset expiresAt)
    {
        public CacheEntryInfo Info { get; } = info;

        public byte[] Blob { get; } = blob;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;
    }

    /// <summary>The memory cache's clock (it has no <see cref="TimeProvider"/> option), so that expiry and the least
    /// recently used order follow the store's clock.</summary>
    private sealed class TimeProviderClock(TimeProvider time) : ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
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
