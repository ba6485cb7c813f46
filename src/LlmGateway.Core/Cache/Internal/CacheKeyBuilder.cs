namespace LlmGateway.Internal;

/// <summary>
/// The cache key of a request: a SHA-256 of its canonical form, everything that changes the answer and nothing else.
/// STUB: implemented by the cache-key work.
/// </summary>
internal static class CacheKeyBuilder
{
    /// <summary>The format version, part of every key: a change of what is hashed or how entries are stored bumps it, so
    /// old entries are never read wrongly.</summary>
    public const string Version = "v1";

    /// <summary>
    /// The lower-case hex SHA-256 of the canonical request: the body's JSON with object keys sorted (ordinal) at every
    /// depth, no insignificant whitespace, numbers and strings as parsed values, <c>model</c> replaced by
    /// <paramref name="resolvedModel"/>, and the top-level <c>stream</c>, <c>stream_options</c>, <c>user</c>,
    /// <c>fallbacks</c> and <c>metadata</c> left out. With <paramref name="normalize"/>, message text (string contents
    /// and text parts; embeddings <c>input</c> strings) has runs of whitespace collapsed to one space, is trimmed and
    /// lower-cased (invariant).
    /// </summary>
    public static string Hash(ReadOnlySpan<byte> body, GatewayOperation operation, string resolvedModel, bool normalize) => throw new NotImplementedException();

    /// <summary>
    /// For the semantic strategy: the hash of the canonical request with the last user message's text left out (what
    /// must match exactly: model, parameters, the conversation before it), and that text (string content, or its text
    /// parts joined with a newline); the text is null when there is no user message with text.
    /// </summary>
    public static (string ContextHash, string? LastUserText) SemanticParts(ReadOnlySpan<byte> body, string resolvedModel) => throw new NotImplementedException();

    /// <summary>Whether a chat request asks for a deterministic answer: <c>temperature</c> present and 0.</summary>
    public static bool IsDeterministic(ReadOnlySpan<byte> body) => throw new NotImplementedException();
}
