namespace LlmGateway.Internal;

/// <summary>What a cache entry holds.</summary>
internal enum CachedResponseKind
{
    /// <summary>A chat completion body, from a non-streamed request.</summary>
    Completion,

    /// <summary>The data of each chat.completion.chunk event of a stream that finished cleanly (the usage chunk
    /// included; no <c>[DONE]</c>), from a streamed request.</summary>
    Chunks,

    /// <summary>An embeddings body.</summary>
    Embeddings,
}

/// <summary>
/// A cached answer and what is known of it. Stored as one blob whose first bytes carry the format version;
/// a blob of another version reads as a miss. STUB: implemented by the cache-entry work.
/// </summary>
internal sealed class CachedResponse
{
    public required CachedResponseKind Kind { get; init; }

    /// <summary>The upstream model that answered.</summary>
    public required string Model { get; init; }

    /// <summary>The provider instance that answered.</summary>
    public required string Provider { get; init; }

    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>How long the upstream took (to the whole answer), reported as time saved on a hit.</summary>
    public TimeSpan UpstreamLatency { get; init; }

    /// <summary>The usage the upstream reported, if any.</summary>
    public UsageCounts? Usage { get; init; }

    /// <summary>The body, for <see cref="CachedResponseKind.Completion"/> and <see cref="CachedResponseKind.Embeddings"/>.</summary>
    public ReadOnlyMemory<byte> Body { get; init; }

    /// <summary>The chunks' data, for <see cref="CachedResponseKind.Chunks"/>.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Chunks { get; init; } = [];

    public byte[] Serialize() => throw new NotImplementedException();

    /// <summary>The entry, or null when the blob is of another format version or damaged.</summary>
    public static CachedResponse? Deserialize(ReadOnlySpan<byte> blob) => throw new NotImplementedException();
}

/// <summary>
/// Turns a cached answer into what the request that hit it asked for: the stored body or chunks as they were (byte for
/// byte), a stream's chunks assembled into one completion for a non-streamed request, a completion split into chunks
/// for a streamed one. STUB: implemented by the cache-entry work.
/// </summary>
internal static class CachedResponseConverter
{
    /// <summary>A chat completion body for a non-streamed request: the stored body of a Completion entry as it is, or
    /// the chunks of a Chunks entry assembled (content and refusal concatenated, tool calls by index with their
    /// arguments concatenated, finish reasons, logprobs content, the usage, id/created/model/system_fingerprint of the
    /// first chunk).</summary>
    public static ReadOnlyMemory<byte> ToCompletion(CachedResponse entry) => throw new NotImplementedException();

    /// <summary>
    /// The data of each SSE event for a streamed request (no <c>[DONE]</c>; the caller writes it): a Chunks entry's
    /// chunks as stored, minus the usage-only chunk (empty <c>choices</c>) when <paramref name="includeUsage"/> is false;
    /// a Completion entry split into chunks as OpenAI streams them (per choice: a role chunk, the content, each tool
    /// call, a finish chunk), then the usage-only chunk when <paramref name="includeUsage"/>.
    /// </summary>
    public static IReadOnlyList<ReadOnlyMemory<byte>> ToChunks(CachedResponse entry, bool includeUsage) => throw new NotImplementedException();
}
