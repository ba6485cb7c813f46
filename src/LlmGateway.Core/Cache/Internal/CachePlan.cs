namespace LlmGateway.Internal;

/// <summary>What a request asked of the cache in its headers: <c>Cache-Control: no-cache</c> (do not answer from the
/// cache), <c>no-store</c> (do not keep this answer), and a lifetime for the entry (<c>x-llmgateway-cache-ttl</c>).</summary>
internal readonly record struct CacheDirectives(bool NoCache, bool NoStore, TimeSpan? Ttl);

/// <summary>What the cache reports on a response: <c>X-Cache</c>, <c>X-Cache-Key</c>, <c>X-Cache-TTL</c>.</summary>
internal sealed record CacheReport(bool Hit, string Key, TimeSpan Ttl);

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
