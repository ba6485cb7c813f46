using System.Collections.Concurrent;
using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Internal;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmGateway.Internal;

/// <summary>
/// The response cache's default store: this process's memory.
/// </summary>
/// <remarks>
/// <para>A <see cref="MemoryCache"/> of its own (not the app's), limited to <see cref="CacheOptions.MemoryLimitBytes"/>,
/// each entry counted as its blob and key plus <see cref="EntryOverheadBytes"/>. Past the limit, the write that finds it
/// full is not kept and the cache compacts in the background to 90 % of the limit, least recently used first; an entry
/// larger than the whole limit is never kept. Expiry and "recently used" follow the injected <see cref="TimeProvider"/>.
/// An index of what memory holds (kept by the eviction callbacks) lets purges find entries by model, provider and
/// age.</para>
/// <para>Returned blobs are the stored arrays themselves (no copy on a hit): callers must not change them.</para>
/// </remarks>
internal sealed class MemoryResponseCacheStore : IResponseCacheStore, IDisposable
{
    /// <summary>What an entry costs in memory besides its blob and key: the cache's entry, this store's record and the
    /// index's node.</summary>
    internal const int EntryOverheadBytes = 256;

    /// <summary>Entries live at most this long, whatever the TTL asked (beyond it, date arithmetic would overflow).</summary>
    private static readonly TimeSpan s_maxLifetime = TimeSpan.FromDays(3650);

    private static readonly PostEvictionDelegate s_onEvicted = static (key, value, _, state) =>
    {
        if (state is MemoryResponseCacheStore store && key is string k && value is MemoryEntry entry)
        {
            // Only this record: the key may hold a newer entry already.
            store._index.TryRemove(KeyValuePair.Create(k, entry));
        }
    };

    private readonly IOptionsMonitor<LlmGatewayOptions> _options;
    private readonly TimeProvider _time;
    private readonly ILogger<MemoryResponseCacheStore> _logger;
    private readonly long _memoryLimit;
    private readonly MemoryCache _memory;
    private readonly ConcurrentDictionary<string, MemoryEntry> _index = new(StringComparer.Ordinal);

    public MemoryResponseCacheStore(IOptionsMonitor<LlmGatewayOptions> options, TimeProvider timeProvider, ILogger<MemoryResponseCacheStore> logger)
    {
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

        return default;
    }

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
        return ValueTask.CompletedTask;
    }

    public ValueTask<long> PurgeAsync(CachePurge purge, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(purge);
        return new(PurgeMemory(purge, _time.GetUtcNow()));
    }

    public void Dispose() => _memory.Dispose();

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
