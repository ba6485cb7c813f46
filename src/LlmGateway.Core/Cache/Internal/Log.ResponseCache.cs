using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>Response cache log messages (event ids 220–239; the store uses 200–219).</summary>
// A class of its own per file, not one partial Log: the logging source generator emits a partial class's
// methods in no fixed order, which made builds differ byte for byte.
internal static partial class ResponseCacheLog
{
    [LoggerMessage(EventId = 220, Level = LogLevel.Warning, Message = "Could not store a response in the cache; it was answered, not kept.")]
    public static partial void CacheStoreFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 221, Level = LogLevel.Warning, Message = "The semantic cache could not embed the last user message with {Model}: {Reason}; looked up exactly only.")]
    public static partial void SemanticEmbeddingFailed(this ILogger logger, string model, string reason);
}
