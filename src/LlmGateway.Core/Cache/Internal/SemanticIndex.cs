namespace LlmGateway.Internal;

/// <summary>
/// The semantic strategy's in-memory index: per context (partition and context hash), the embeddings of cached last
/// user messages with the entry key each answers from. Bounded: past the maximum, the oldest additions go first.
/// Thread-safe. STUB: implemented by the cache-key work.
/// </summary>
internal sealed class SemanticIndex
{
    public SemanticIndex(int maxEntries, TimeProvider timeProvider)
    {
        _ = maxEntries;
        _ = timeProvider;
    }

    /// <summary>Adds (or replaces, for the same entry key) an embedding; it is forgotten at <paramref name="expiresAt"/>.</summary>
    public void Add(string context, ReadOnlyMemory<float> embedding, string entryKey, DateTimeOffset expiresAt) => throw new NotImplementedException();

    /// <summary>The unexpired entry of <paramref name="context"/> most similar (cosine) to <paramref name="embedding"/>, if
    /// its similarity is at least <paramref name="threshold"/>.</summary>
    public (string EntryKey, float Similarity)? FindBest(string context, ReadOnlySpan<float> embedding, float threshold) => throw new NotImplementedException();

    /// <summary>Forgets every entry whose key matches; returns how many.</summary>
    public int RemoveWhere(Func<string, bool> entryKeyMatches) => throw new NotImplementedException();

    /// <summary>The number of entries held.</summary>
    public int Count => throw new NotImplementedException();
}
