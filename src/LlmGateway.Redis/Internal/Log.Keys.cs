using Microsoft.Extensions.Logging;

namespace LlmGateway.Redis.Internal;

/// <summary>Key log messages (event ids 140–159). A key is named by its id, never by the key or its hash.</summary>
// A class of its own per file, not one partial Log: the logging source generator emits a partial class's
// methods in no fixed order, which made builds differ byte for byte.
internal static partial class RedisKeysLog
{
    [LoggerMessage(EventId = 142, Level = LogLevel.Warning, Message = "The stored record of key {Id} cannot be read; the key is treated as unknown.")]
    public static partial void StoredKeyUnreadable(this ILogger logger, string id, Exception exception);

    [LoggerMessage(EventId = 143, Level = LogLevel.Warning, Message = "A provider key cannot be decrypted: the Data Protection key it was encrypted with is not in the key ring (lost, or another key ring). Set the key's provider_keys again.")]
    public static partial void ProviderKeyUndecryptable(this ILogger logger);

    [LoggerMessage(EventId = 148, Level = LogLevel.Debug, Message = "Key store: subscribing to key changes failed; cached records are re-read after at most 5 s instead.")]
    public static partial void KeyChangeSubscriptionFailed(this ILogger logger, Exception exception);
}
