using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace LlmGateway.Redis.Internal;

/// <summary>
/// The key store shared by every gateway instance that names the same Redis.
/// </summary>
/// <remarks>
/// <para>Layout (prefix <c>LlmGateway:RedisKeyPrefix</c>): <c>{prefix}keys:id:{id}</c> holds the record as JSON,
/// <c>{prefix}keys:hash:{sha256}</c> the id of the key with that hash, the set <c>{prefix}keys:ids</c> every id. A
/// write changes the three in one MULTI transaction (a rotation also deletes the old hash's entry) and publishes the
/// id on <c>{prefix}keys:changed</c> in the same transaction.</para>
/// <para>Lookups keep what they found for at most 5 seconds, so authenticating a request costs no Redis round trip
/// most of the time. A change message drops the changed key's records at once, so a revocation or rotation on one
/// instance holds on every other one at once; if a message is missed (a broken subscription) it holds after 5 s at
/// worst.</para>
/// <para>While Redis is unavailable, lookups answer from the last records this instance read (kept without expiry
/// for that purpose), so known keys keep working and their policies hold; keys created meanwhile elsewhere are
/// unknown here. Listings and writes throw <see cref="KeyStoreUnavailableException"/>: a key written only to this
/// instance's memory would work here and nowhere else. Reads by id (<see cref="GetAsync"/>, the admin API's) throw
/// it too rather than answer from a record that may be stale.</para>
/// </remarks>
internal sealed class RedisKeyStore : IKeyStore, IDisposable
{
    private static readonly TimeSpan s_freshFor = TimeSpan.FromSeconds(5);

    private readonly RedisConnection _redis;
    private readonly ILogger<RedisKeyStore> _logger;
    private readonly TimeProvider _time;
    private readonly string _idPrefix;
    private readonly string _hashPrefix;
    private readonly RedisKey _idsKey;
    private readonly RedisChannel _channel;
    private readonly RedisSubscription _changes;
    private readonly ConcurrentDictionary<string, Entry> _byHash = new(StringComparer.Ordinal);

    /// <summary>Bumped by every change message (and by Redis coming back): a read that started before a bump does not
    /// cache what it read, which may predate the change.</summary>
    private long _generation;

    public RedisKeyStore(RedisConnection redis, ILogger<RedisKeyStore> logger, TimeProvider? timeProvider = null)
    {
        _redis = redis;
        _logger = logger;
        _time = timeProvider ?? TimeProvider.System;
        _idPrefix = redis.Prefix + "keys:id:";
        _hashPrefix = redis.Prefix + "keys:hash:";
        _idsKey = redis.Prefix + "keys:ids";
        _channel = RedisChannel.Literal(redis.Prefix + "keys:changed");
        _changes = new RedisSubscription(redis, _channel, OnChangeMessage, logger.KeyChangeSubscriptionFailed);
        _redis.Restored += OnRestored;
    }

    public async ValueTask<StoredKey?> FindByHashAsync(string hash, CancellationToken cancellationToken)
    {
        if (_byHash.TryGetValue(hash, out var cached) && IsFresh(cached))
        {
            return cached.Key;
        }

        var generation = Volatile.Read(ref _generation);
        try
        {
            await _changes.EnsureAsync();
            var database = await _redis.GetDatabaseAsync();
            var id = await database.StringGetAsync(_hashPrefix + hash);
            var key = id.IsNull ? null : await ReadAsync(database, id.ToString());
            _redis.ReportSuccess();
            if (key is null || key.Hash != hash)
            {
                _byHash.TryRemove(hash, out _);
                return null;
            }

            Remember(key, generation);
            return key;
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);

            // The last record read, however old (a change message may have dropped it meanwhile: then none).
            return _byHash.TryGetValue(hash, out var last) ? last.Key : null;
        }
    }

    /// <summary>Reads the key from Redis, never from the cache: this is the admin API's read, which must not act on a
    /// stale record.</summary>
    /// <exception cref="KeyStoreUnavailableException">Redis is unavailable.</exception>
    public async ValueTask<StoredKey?> GetAsync(string id, CancellationToken cancellationToken)
    {
        var generation = Volatile.Read(ref _generation);
        try
        {
            var database = await _redis.GetDatabaseAsync();
            var key = await ReadAsync(database, id);
            _redis.ReportSuccess();
            if (key is not null)
            {
                Remember(key, generation);
            }

            return key;
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            throw new KeyStoreUnavailableException("The key store (Redis) is unavailable; the key cannot be read until it is back.", ex);
        }
    }

    /// <exception cref="KeyStoreUnavailableException">Redis is unavailable.</exception>
    public async ValueTask<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken)
    {
        try
        {
            var database = await _redis.GetDatabaseAsync();
            var ids = await database.SetMembersAsync(_idsKey);
            if (ids.Length == 0)
            {
                _redis.ReportSuccess();
                return [];
            }

            var records = await database.StringGetAsync([.. ids.Select(id => (RedisKey)(_idPrefix + id))]);
            _redis.ReportSuccess();
            var keys = new List<StoredKey>(records.Length);
            for (var i = 0; i < records.Length; i++)
            {
                if (Deserialize(ids[i].ToString(), records[i]) is { } key)
                {
                    keys.Add(key);
                }
            }

            keys.Sort(static (a, b) => a.CreatedAt.CompareTo(b.CreatedAt));
            return keys;
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            throw new KeyStoreUnavailableException("The key store (Redis) is unavailable; keys cannot be listed until it is back.", ex);
        }
    }

    public async ValueTask SaveAsync(StoredKey key, string? previousHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var json = JsonSerializer.Serialize(key, StoredKeyJsonContext.Default.StoredKey);
        try
        {
            var database = await _redis.GetDatabaseAsync();
            var transaction = database.CreateTransaction();
            var commands = new List<Task>(5)
            {
                transaction.StringSetAsync(_idPrefix + key.Id, json),
                transaction.StringSetAsync(_hashPrefix + key.Hash, key.Id),
                transaction.SetAddAsync(_idsKey, key.Id),
            };
            if (previousHash is not null && previousHash != key.Hash)
            {
                commands.Add(transaction.KeyDeleteAsync(_hashPrefix + previousHash));
            }

            commands.Add(transaction.PublishAsync(_channel, key.Id));
            await transaction.ExecuteAsync();
            await Task.WhenAll(commands);
            _redis.ReportSuccess();
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            throw new KeyStoreUnavailableException("The key store (Redis) is unavailable; the key was not saved.", ex);
        }

        // This instance sees the change at once, whether or not its own message comes back.
        Forget(key.Id);
        if (previousHash is not null)
        {
            _byHash.TryRemove(previousHash, out _);
        }

        Remember(key, Volatile.Read(ref _generation));
    }

    public void Dispose()
    {
        _redis.Restored -= OnRestored;
        _changes.Unsubscribe();
    }

    private async Task<StoredKey?> ReadAsync(IDatabase database, string id) =>
        Deserialize(id, await database.StringGetAsync(_idPrefix + id));

    private StoredKey? Deserialize(string id, RedisValue value)
    {
        if (value.IsNull)
        {
            return null;
        }

        try
        {
            return JsonSerializer.Deserialize(value.ToString(), StoredKeyJsonContext.Default.StoredKey);
        }
        catch (JsonException ex)
        {
            _logger.StoredKeyUnreadable(id, ex);
            return null;
        }
    }

    private bool IsFresh(Entry entry) =>
        entry.Generation == Volatile.Read(ref _generation) && _time.GetElapsedTime(entry.ReadAt) < s_freshFor;

    private void Remember(StoredKey key, long generation)
    {
        if (Volatile.Read(ref _generation) != generation)
        {
            // A change arrived while this was read: what was read may be older than it.
            return;
        }

        _byHash[key.Hash] = new Entry(key, _time.GetTimestamp(), generation);
    }

    /// <summary>Drops every record of a key (under any of its hashes), and marks the rest stale.</summary>
    private void Forget(string id)
    {
        Interlocked.Increment(ref _generation);
        foreach (var (hash, entry) in _byHash)
        {
            if (entry.Key.Id == id)
            {
                _byHash.TryRemove(new KeyValuePair<string, Entry>(hash, entry));
            }
        }
    }

    private void OnRestored() => Interlocked.Increment(ref _generation);

    /// <summary>Another instance changed a key: its cached record is dropped (a failed subscription instead leaves
    /// records to live their 5 s).</summary>
    private void OnChangeMessage(RedisChannel channel, RedisValue message)
    {
        if (!message.IsNullOrEmpty)
        {
            Forget(message.ToString());
        }
    }

    private sealed record Entry(StoredKey Key, long ReadAt, long Generation);
}
