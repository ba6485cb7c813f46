using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>Cache-store log messages (event ids 200–219). Entries are never named: a cache key carries the caller's
/// partition and a hash of the request.</summary>
// A class of its own per file, not one partial Log: the logging source generator emits a partial class's
// methods in no fixed order, which made builds differ byte for byte.
internal static partial class CacheStoreLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "A response of {Size} bytes was not cached: it is larger than LlmGateway:Cache:MaxEntryBytes ({MaxEntryBytes}).")]
    public static partial void CacheEntryTooLarge(this ILogger logger, int size, int maxEntryBytes);
}
