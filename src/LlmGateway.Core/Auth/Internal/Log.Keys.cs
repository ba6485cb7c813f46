using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>Key log messages (event ids 140–159). A key is named by its id, never by the key or its hash.</summary>
// A class of its own per file, not one partial Log: the logging source generator emits a partial class's
// methods in no fixed order, which made builds differ byte for byte.
internal static partial class KeysLog
{
    [LoggerMessage(EventId = 140, Level = LogLevel.Warning, Message = "Configured key {Id} is ignored: {Reason}")]
    public static partial void ConfiguredKeyIgnored(this ILogger logger, string id, string reason);

    [LoggerMessage(EventId = 141, Level = LogLevel.Warning, Message = "LlmGateway:Auth:AdminKeyHash is not a SHA-256 hash (64 hex characters); the admin API stays closed.")]
    public static partial void AdminKeyHashInvalid(this ILogger logger);

    [LoggerMessage(EventId = 143, Level = LogLevel.Warning, Message = "A provider key cannot be decrypted: the Data Protection key it was encrypted with is not in the key ring (lost, or another key ring). Set the key's provider_keys again.")]
    public static partial void ProviderKeyUndecryptable(this ILogger logger);

    [LoggerMessage(EventId = 144, Level = LogLevel.Information, Message = "Admin API: key {Id} created.")]
    public static partial void KeyCreated(this ILogger logger, string id);

    [LoggerMessage(EventId = 145, Level = LogLevel.Information, Message = "Admin API: key {Id} updated.")]
    public static partial void KeyUpdated(this ILogger logger, string id);

    [LoggerMessage(EventId = 146, Level = LogLevel.Information, Message = "Admin API: key {Id} revoked.")]
    public static partial void KeyRevoked(this ILogger logger, string id);

    [LoggerMessage(EventId = 147, Level = LogLevel.Information, Message = "Admin API: key {Id} rotated; the previous secret no longer works.")]
    public static partial void KeyRotated(this ILogger logger, string id);
}
