namespace LlmGateway;

/// <summary>The response cache: <c>LlmGateway:Cache</c>. Chat completions (streamed or not) and embeddings.</summary>
public sealed class CacheOptions
{
    /// <summary>Gets or sets a value indicating whether responses are cached. Defaults to false.</summary>
    public bool Enabled { get; set; }

    /// <summary>Gets or sets how long an entry lives. Defaults to 10 minutes; per model or alias in <see cref="Models"/>,
    /// per request with the <c>x-llmgateway-cache-ttl</c> header (seconds).</summary>
    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Gets or sets how requests are matched. Defaults to <see cref="CacheStrategy.Exact"/>.</summary>
    public CacheStrategy Strategy { get; set; } = CacheStrategy.Exact;

    /// <summary>Gets or sets which requests are cached. Defaults to <see cref="CacheEligibility.All"/>.</summary>
    public CacheEligibility Eligibility { get; set; } = CacheEligibility.All;

    /// <summary>Gets or sets whose entries a request may be answered from. Defaults to <see cref="CachePartition.PerKey"/>:
    /// a gateway key sees only what was cached for it.</summary>
    public CachePartition Partition { get; set; } = CachePartition.PerKey;

    /// <summary>Gets or sets the memory the in-process level may use, in bytes; the least recently used entries go first.
    /// Defaults to 64 MiB.</summary>
    public long MemoryLimitBytes { get; set; } = 64L * 1024 * 1024;

    /// <summary>Gets or sets the largest response that is cached, in bytes. Defaults to 1 MiB.</summary>
    public int MaxEntryBytes { get; set; } = 1024 * 1024;

    /// <summary>Gets or sets settings per model or alias, by the name the client sends (a trailing <c>*</c> matches a prefix).</summary>
    public Dictionary<string, CacheModelOptions> Models { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets the semantic strategy's settings.</summary>
    public SemanticCacheOptions Semantic { get; set; } = new();
}

/// <summary>Cache settings of one model or alias.</summary>
public sealed class CacheModelOptions
{
    /// <summary>Gets or sets whether this model's responses are cached (unset: as <see cref="CacheOptions.Enabled"/>).</summary>
    public bool? Enabled { get; set; }

    /// <summary>Gets or sets the entries' lifetime (unset: <see cref="CacheOptions.Ttl"/>).</summary>
    public TimeSpan? Ttl { get; set; }
}

/// <summary>Settings of <see cref="CacheStrategy.Semantic"/>.</summary>
public sealed class SemanticCacheOptions
{
    /// <summary>Gets or sets the embedding model (as a client would name it) that embeds the last user message.</summary>
    public string? EmbeddingModel { get; set; }

    /// <summary>Gets or sets the cosine similarity above which a cached answer is used. Defaults to 0.95.</summary>
    public double Threshold { get; set; } = 0.95;

    /// <summary>Gets or sets the most entries the in-memory similarity index holds (oldest go first). Defaults to 10,000.</summary>
    public int MaxEntries { get; set; } = 10_000;
}

/// <summary>How the cache matches requests.</summary>
public enum CacheStrategy
{
    /// <summary>The canonical request: same model, messages, tools and parameters, whatever the JSON's key order and whitespace.</summary>
    Exact,

    /// <summary>As <see cref="Exact"/>, with message text compared with runs of whitespace collapsed and case folded.</summary>
    Normalized,

    /// <summary>As <see cref="Exact"/> for everything but the last user message, which matches when its embedding is
    /// more similar than <see cref="SemanticCacheOptions.Threshold"/> to a cached one's.</summary>
    Semantic,
}

/// <summary>Which requests the cache takes.</summary>
public enum CacheEligibility
{
    /// <summary>Every chat completion and embeddings request.</summary>
    All,

    /// <summary>Only requests whose answer should not vary: chat with <c>temperature</c> 0, and embeddings.</summary>
    Deterministic,
}

/// <summary>Whose entries a request may be answered from.</summary>
public enum CachePartition
{
    /// <summary>Each gateway key (caller) has its own entries; calls with a brought provider key are not cached.</summary>
    PerKey,

    /// <summary>One cache for every caller.</summary>
    Shared,
}
