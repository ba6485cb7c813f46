using System.Collections.Concurrent;

namespace LlmGateway.Internal;

/// <summary>
/// Ownership records in this process's memory: the store of a gateway without Redis (lost at restart), and the
/// near copy of a Redis-backed one. Bounded: past <see cref="Capacity"/> records the oldest are forgotten first; a
/// record lives <see cref="Lifetime"/> (OpenAI keeps a stored response 30 days).
/// </summary>
internal sealed class MemoryResourceOwnerStore(TimeProvider timeProvider) : IResourceOwnerStore
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
