using System.Collections.Concurrent;
using System.Numerics.Tensors;

namespace LlmGateway.Internal;

/// <summary>
/// The semantic strategy's in-memory index: per context (partition and context hash), the embeddings of cached last
/// user messages with the entry key each answers from. Bounded: past the maximum, the oldest additions go first.
/// </summary>
/// <remarks>
/// Thread-safe. Lookups read an immutable array per context without a lock (a lookup compares against every entry of
/// its context, so it must not queue behind others); changes take a lock and swap in a new array. Expired entries are
/// skipped by lookups and dropped by the next change of their context (a lookup that meets one makes that change).
/// </remarks>
internal sealed class SemanticIndex
{
    private readonly int _maxEntries;
    private readonly TimeProvider _timeProvider;
    private readonly Lock _gate = new();

    // Read without the lock; every write happens under it.
    private readonly ConcurrentDictionary<string, Entry[]> _contexts = new(StringComparer.Ordinal);

    // Under the lock: every entry by key, and in the order it was added (the first goes first).
    private readonly Dictionary<string, Entry> _byKey = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _additions = new();

    public SemanticIndex(int maxEntries, TimeProvider timeProvider)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxEntries, 1);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _maxEntries = maxEntries;
        _timeProvider = timeProvider;
    }

    /// <summary>The number of entries held (expired ones not yet dropped included).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byKey.Count;
            }
        }
    }

    /// <summary>Adds (or replaces, for the same entry key) an embedding; it is forgotten at <paramref name="expiresAt"/>.</summary>
    public void Add(string context, ReadOnlyMemory<float> embedding, string entryKey, DateTimeOffset expiresAt)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(entryKey);

        // Stored at unit length, so a similarity never depends on the magnitude an embedding model happens to return.
        var vector = embedding.ToArray();
        var norm = TensorPrimitives.Norm(vector);
        if (norm > 0 && float.IsFinite(norm))
        {
            TensorPrimitives.Divide(vector, norm, vector);
        }

        lock (_gate)
        {
            var now = _timeProvider.GetUtcNow();
            if (_byKey.Remove(entryKey, out var replaced))
            {
                _additions.Remove(replaced.Node!);
                if (!string.Equals(replaced.Context, context, StringComparison.Ordinal))
                {
                    Rebuild(replaced.Context, now, removed: replaced, added: null);
                }
            }

            Entry? entry = null;
            if (vector.Length > 0 && expiresAt > now)
            {
                entry = new Entry(context, entryKey, vector, expiresAt);
                entry.Node = _additions.AddLast(entry);
                _byKey.Add(entryKey, entry);
            }

            Rebuild(context, now, removed: replaced, added: entry);

            while (_byKey.Count > _maxEntries)
            {
                var oldest = _additions.First!.Value;
                _additions.RemoveFirst();
                _byKey.Remove(oldest.Key);
                Rebuild(oldest.Context, now, removed: oldest, added: null);
            }
        }
    }

    /// <summary>The unexpired entry of <paramref name="context"/> most similar (cosine) to <paramref name="embedding"/>, if
    /// its similarity is at least <paramref name="threshold"/>.</summary>
    public (string EntryKey, float Similarity)? FindBest(string context, ReadOnlySpan<float> embedding, float threshold)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (embedding.IsEmpty || !_contexts.TryGetValue(context, out var entries))
        {
            return null;
        }

        var now = _timeProvider.GetUtcNow();
        Entry? best = null;
        var bestSimilarity = float.NegativeInfinity;
        var sawExpired = false;
        foreach (var entry in entries)
        {
            if (entry.ExpiresAt <= now)
            {
                sawExpired = true;
                continue;
            }

            // Another embedding model (a changed configuration) gives vectors of another length: not comparable.
            if (entry.Vector.Length != embedding.Length)
            {
                continue;
            }

            var similarity = TensorPrimitives.CosineSimilarity(embedding, entry.Vector);
            if (similarity > bestSimilarity)
            {
                best = entry;
                bestSimilarity = similarity;
            }
        }

        if (sawExpired)
        {
            lock (_gate)
            {
                Rebuild(context, now, removed: null, added: null);
            }
        }

        return best is not null && bestSimilarity >= threshold ? (best.Key, bestSimilarity) : null;
    }

    /// <summary>Forgets every entry whose key matches; returns how many. <paramref name="entryKeyMatches"/> runs under
    /// the index's lock.</summary>
    public int RemoveWhere(Func<string, bool> entryKeyMatches)
    {
        ArgumentNullException.ThrowIfNull(entryKeyMatches);
        var removed = 0;
        lock (_gate)
        {
            foreach (var (context, entries) in _contexts)
            {
                var kept = new List<Entry>(entries.Length);
                foreach (var entry in entries)
                {
                    if (entryKeyMatches(entry.Key))
                    {
                        _byKey.Remove(entry.Key);
                        _additions.Remove(entry.Node!);
                        removed++;
                    }
                    else
                    {
                        kept.Add(entry);
                    }
                }

                if (kept.Count != entries.Length)
                {
                    Publish(context, kept);
                }
            }
        }

        return removed;
    }

    /// <summary>
    /// Replaces a context's array (under the lock): without <paramref name="removed"/> (already forgotten by the caller)
    /// and without expired entries (forgotten here), with <paramref name="added"/> at the end.
    /// </summary>
    private void Rebuild(string context, DateTimeOffset now, Entry? removed, Entry? added)
    {
        _contexts.TryGetValue(context, out var entries);
        entries ??= [];
        var kept = new List<Entry>(entries.Length + 1);
        foreach (var entry in entries)
        {
            if (ReferenceEquals(entry, removed))
            {
                continue;
            }

            if (entry.ExpiresAt <= now)
            {
                _byKey.Remove(entry.Key);
                _additions.Remove(entry.Node!);
                continue;
            }

            kept.Add(entry);
        }

        if (added is not null)
        {
            kept.Add(added);
        }

        if (added is not null || kept.Count != entries.Length)
        {
            Publish(context, kept);
        }
    }

    private void Publish(string context, List<Entry> entries)
    {
        if (entries.Count == 0)
        {
            _contexts.TryRemove(context, out _);
        }
        else
        {
            _contexts[context] = [.. entries];
        }
    }

    /// <summary>An embedding and the entry it answers from. Immutable but for <see cref="Node"/>, which only the lock
    /// touches.</summary>
    private sealed class Entry(string context, string key, float[] vector, DateTimeOffset expiresAt)
    {
        public string Context { get; } = context;

        public string Key { get; } = key;

        public float[] Vector { get; } = vector;

        public DateTimeOffset ExpiresAt { get; } = expiresAt;

        public LinkedListNode<Entry>? Node { get; set; }
    }
}
