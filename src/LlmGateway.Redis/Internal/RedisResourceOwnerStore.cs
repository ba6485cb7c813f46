using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace LlmGateway.Redis.Internal;

/// <summary>
/// Ownership records in this process's memory: the near copy of the Redis-backed store. Bounded: past <see cref="Capacity"/> records the oldest are forgotten first; a
/// record lives <see cref="Lifetime"/> (OpenAI keeps a stored response 30 days).
/// </summary>
internal sealed class NearOwnerRecords(TimeProvider timeProvider)
{
    internal const int Capacity = 100_000;

    /// <summary>How long a record is kept.</summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);

    private readonly ConcurrentDictionary<(OwnedResourceKind Kind, string Id), Entry> _entries = new();
    private readonly ConcurrentQueue<(OwnedResourceKind Kind, string Id)> _order = new();

    /// <summary>Gets the number of records held.</summary>
    internal int Count => _entries.Count;

    public ValueTask AddAsync(OwnedResourceKind kind, string id, ResourceRecord record)
    {
        Put(kind, id, record, Lifetime);
        return ValueTask.CompletedTask;
    }

    public ValueTask<ResourceRecord?> FindAsync(OwnedResourceKind kind, string id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Find(kind, id));

    /// <summary>Keeps a record for <paramref name="lifetime"/>; an id already held keeps its first record.</summary>
    /// <returns>Whether the record was added.</returns>
    internal bool Put(OwnedResourceKind kind, string id, ResourceRecord record, TimeSpan lifetime)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(record);
        var key = (kind, id);
        var entry = new Entry(record, timeProvider.GetUtcNow() + lifetime);
        if (!_entries.TryAdd(key, entry))
        {
            if (!_entries.TryGetValue(key, out var held) || !IsExpired(held))
            {
                return false;
            }

            // Expired: the id may be handed out again (a new record, a new lifetime).
            _entries[key] = entry;
            return true;
        }

        _order.Enqueue(key);
        while (_entries.Count > Capacity && _order.TryDequeue(out var oldest))
        {
            _entries.TryRemove(oldest, out _);
        }

        return true;
    }

    internal ResourceRecord? Find(OwnedResourceKind kind, string id)
    {
        var key = (kind, id);
        if (!_entries.TryGetValue(key, out var entry))
        {
            return null;
        }

        if (IsExpired(entry))
        {
            _entries.TryRemove(new KeyValuePair<(OwnedResourceKind, string), Entry>(key, entry));
            return null;
        }

        return entry.Record;
    }

    private bool IsExpired(Entry entry) => entry.ExpiresAt <= timeProvider.GetUtcNow();

    private sealed record Entry(ResourceRecord Record, DateTimeOffset ExpiresAt);
}

/// <summary>
/// Ownership records shared by every gateway instance that names the same Redis, so a resource created through one
/// instance is refused to other callers, and served to its owner, on all of them and after a restart.
/// </summary>
/// <remarks>
/// <para>Layout (prefix <c>LlmGateway:RedisKeyPrefix</c>): one string per resource, <c>{prefix}owners:response:{id}</c>
/// or <c>{prefix}owners:gemini-cache:{id}</c>, holding <c>{"o":owner,"p":provider}</c>, written once (SET NX) with a
/// 30-day expiry. Every command names one key, so no hash tag is needed.</para>
/// <para>A record never changes once written, so what this instance wrote or read is kept in its memory (bounded,
/// until the record's expiry) and answered from there without a round trip.</para>
/// <para>While Redis is unavailable: a new record is kept in memory and written to Redis when it is back; a record
/// this instance holds is answered from memory; any other id throws <see cref="ResourceOwnerStoreUnavailableException"/>
/// (answered 503): its owner cannot be told, and neither refusing the owner as if it did not exist nor serving
/// whoever asks would be right.</para>
/// </remarks>
internal sealed class RedisResourceOwnerStore : IResourceOwnerStore, IDisposable
{
    private readonly RedisConnection _redis;
    private readonly NearOwnerRecords _near;
    private readonly ILogger<RedisResourceOwnerStore> _logger;
    private readonly string _prefix;
    private readonly ConcurrentDictionary<(OwnedResourceKind Kind, string Id), ResourceRecord> _pending = new();
    private int _flushing;

    public RedisResourceOwnerStore(RedisConnection redis, TimeProvider timeProvider, ILogger<RedisResourceOwnerStore> logger)
    {
        _redis = redis;
        _near = new NearOwnerRecords(timeProvider);
        _logger = logger;
        _prefix = redis.Prefix + "owners:";
        _redis.Restored += OnRestored;
    }

    /// <summary>Gets the number of records waiting for Redis to come back.</summary>
    internal int PendingCount => _pending.Count;

    public async ValueTask AddAsync(OwnedResourceKind kind, string id, ResourceRecord record)
    {
        if (!_near.Put(kind, id, record, NearOwnerRecords.Lifetime))
        {
            return; // written (or read) before: the first record stands
        }

        try
        {
            await WriteAsync(kind, id, record);
            _redis.ReportSuccess();
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            _pending[(kind, id)] = record;
        }
    }

    public async ValueTask<ResourceRecord?> FindAsync(OwnedResourceKind kind, string id, CancellationToken cancellationToken)
    {
        if (_near.Find(kind, id) is { } near)
        {
            return near;
        }

        RedisValueWithExpiry read;
        try
        {
            var database = await _redis.GetDatabaseAsync();
            read = await database.StringGetWithExpiryAsync(Key(kind, id));
            _redis.ReportSuccess();
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            throw new ResourceOwnerStoreUnavailableException("The ownership store (Redis) is unavailable.", ex);
        }

        if (read.Value.IsNull)
        {
            return null;
        }

        ResourceRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(read.Value.ToString(), ResourceOwnerJsonContext.Default.ResourceRecord);
        }
        catch (JsonException ex)
        {
            _logger.OwnershipRecordUnreadable(kind, ex);
            return null;
        }

        if (record is null || string.IsNullOrEmpty(record.Owner))
        {
            return null;
        }

        _near.Put(kind, id, record, read.Expiry ?? NearOwnerRecords.Lifetime);
        return record;
    }

    public void Dispose() => _redis.Restored -= OnRestored;

    /// <summary>Writes the records kept while Redis was away; one flush at a time, what fails waits for the next.</summary>
    internal async Task FlushPendingAsync()
    {
        if (Interlocked.Exchange(ref _flushing, 1) == 1)
        {
            return;
        }

        try
        {
            foreach (var (key, record) in _pending)
            {
                await WriteAsync(key.Kind, key.Id, record);
                _pending.TryRemove(new KeyValuePair<(OwnedResourceKind, string), ResourceRecord>(key, record));
            }
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
        }
        catch (RedisException ex)
        {
            _logger.OwnershipFlushFailed(_pending.Count, ex);
        }
        finally
        {
            Volatile.Write(ref _flushing, 0);
        }
    }

    private async Task WriteAsync(OwnedResourceKind kind, string id, ResourceRecord record)
    {
        var database = await _redis.GetDatabaseAsync();
        var json = JsonSerializer.Serialize(record, ResourceOwnerJsonContext.Default.ResourceRecord);
        await database.StringSetAsync(Key(kind, id), json, NearOwnerRecords.Lifetime, When.NotExists);
    }

    private RedisKey Key(OwnedResourceKind kind, string id) =>
        string.Concat(_prefix, kind == OwnedResourceKind.Response ? "response:" : "gemini-cache:", id);

    private void OnRestored()
    {
        if (!_pending.IsEmpty)
        {
            _ = FlushPendingAsync();
        }
    }
}

[JsonSerializable(typeof(ResourceRecord))]
internal sealed partial class ResourceOwnerJsonContext : JsonSerializerContext;
