using Microsoft.Extensions.Logging;

namespace LlmGateway.Redis.Internal;

/// <summary>Ownership store log messages (event ids 260–279). Resource ids are not logged: whoever knows one may ask
/// for it.</summary>
// A class of its own per file, not one partial Log: the logging source generator emits a partial class's
// methods in no fixed order, which made builds differ byte for byte.
internal static partial class RedisOwnersLog
{
    [LoggerMessage(EventId = 260, Level = LogLevel.Warning, Message = "An ownership record ({Kind}) in Redis cannot be read; the resource is treated as unknown (404).")]
    public static partial void OwnershipRecordUnreadable(this ILogger logger, OwnedResourceKind kind, Exception exception);

    [LoggerMessage(EventId = 261, Level = LogLevel.Warning, Message = "{Count} ownership record(s) kept while Redis was unavailable could not be written to it; they are tried again when Redis comes back, and stay known to this instance meanwhile.")]
    public static partial void OwnershipFlushFailed(this ILogger logger, int count, Exception exception);
}
