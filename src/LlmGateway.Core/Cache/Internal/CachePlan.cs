namespace LlmGateway.Internal;

/// <summary>How the cache treats one request: its key, whether to look up and store, for how long.</summary>
internal sealed class CachePlan
{
    /// <summary>The full key: <c>v1:&lt;partition&gt;:&lt;e|n&gt;:&lt;hash&gt;</c>.</summary>
    public required string Key { get; init; }

    public required string Partition { get; init; }

    public required TimeSpan Ttl { get; init; }

    public bool Lookup { get; init; }

    public bool Store { get; init; }

    /// <summary>For the semantic strategy: the partition and context hash the similarity index is searched under.</summary>
    public string? SemanticContext { get; init; }

    /// <summary>For the semantic strategy: the last user message's text.</summary>
    public string? LastUserText { get; init; }

    /// <summary>For the semantic strategy: the size of the similarity index.</summary>
    public int SemanticMaxEntries { get; init; }

    /// <summary>For the semantic strategy: the last user message's embedding, once computed (at lookup).</summary>
    public float[]? Embedding { get; set; }
}
