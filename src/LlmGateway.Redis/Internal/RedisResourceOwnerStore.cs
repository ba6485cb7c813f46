using System.Collections.Concurrent;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace LlmGateway.Redis.Internal;

/// <summary>
/// Ownership records shared by every gateway instance that names the same Redis, so a resource created through one
/// instance is refused to other callers, and served to its owner, on all of them and after a restart.
/// </summary>
/// <remarks>
/// <para>Layout (prefix <c>LlmGateway:RedisKeyPrefix</c>): one string per resource, <c>{prefix}owners:response:{id}</c>
/// or <c>{prefix}owners:gemini-cache:{id}</c>, holding <c>{"o":owner,"p":provider}</c>, written once (SET NX) with a
/// 30-day expiry. Every command names one key, so no hash tag is needed.</para>
/// <para>A record never changes once written, so what this instance wrote or read is kept in the near store (the
/// <see cref="IResourceOwnerStore"/> registered before this one decorated it: Core's bounded memory store unless the app
/// registered its own) and answered from there without a round trip.</para>
/// <para>While Redis is unavailable: a new record is kept in memory and written to Redis when it is back; a record
/// this instance holds is answered from memory; any other id throws <see cref="ResourceOwnerStoreUnavailableException"/>
/// (answered 503): its owner cannot be told, and neither refusing the owner as if it did not exist nor serving
/// whoever asks would be right.</para>
/// </remarks>
internal sealed class RedisResourceOwnerStore : IResourceOwnerStore, IDisposable
{
    /// <summary>How long Redis keeps a record (OpenAI keeps a stored response 30 days).</summary>
    private static readonly TimeSpan s_lifetime = TimeSpan.FromDays(30);

    private readonly RedisConnection _redis;
    private readonly IResourceOwnerStore _near;
    private readonly ILogger<RedisResourceOwnerStore> _logger;
    private readonly string _prefix;
    private readonly ConcurrentDictionary<(OwnedResourceKind Kind, string Id), ResourceRecord> _pending = new();
    private int _flushing;

    public RedisResourceOwnerStore(RedisConnection redis, IResourceOwnerStore near, ILogger<RedisResourceOwnerStore> logger)
    {
        _redis = redis;
        _near = near;
        _logger = logger;
        _prefix = redis.Prefix + "owners:";
        _redis.Restored += OnRestored;
    }

    /// <summary>Gets the number of records waiting for Redis to come back.</summary>
    internal int PendingCount => _pending.Count;

    public async ValueTask AddAsync(OwnedResourceKind kind, string id, ResourceRecord record)
    {
        if (await _near.FindAsync(kind, id, CancellationToken.None) is not null)
        {
            return; // written (or read) before: the first record stands
        }

        await _near.AddAsync(kind, id, record);
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
        if (await _near.FindAsync(kind, id, cancellationToken) is { } near)
        {
            return near;
        }

        RedisValue read;
        try
        {
            var database = await _redis.GetDatabaseAsync();
            read = await database.StringGetAsync(Key(kind, id));
            _redis.ReportSuccess();
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            throw new ResourceOwnerStoreUnavailableException("The ownership store (Redis) is unavailable.", ex);
        }

        if (read.IsNull)
        {
            return null;
        }

        ResourceRecord? record;
        try
        {
            record = JsonSerializer.Deserialize(read.ToString(), ResourceOwnerJsonContext.Default.ResourceRecord);
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

        await _near.AddAsync(kind, id, record);
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
        await database.StringSetAsync(Key(kind, id), json, s_lifetime, When.NotExists);
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
