using Microsoft.Extensions.Logging;

namespace LlmGateway.Redis.Internal;

/// <summary>Cache-store log messages (event ids 200–219). Entries are never named: a cache key carries the caller's
/// partition and a hash of the request.</summary>
// A class of its own per file, not one partial Log: the logging source generator emits a partial class's
// methods in no fixed order, which made builds differ byte for byte.
internal static partial class RedisCacheStoreLog
{
    [LoggerMessage(EventId = 200, Level = LogLevel.Debug, Message = "A response of {Size} bytes was not cached: it is larger than LlmGateway:Cache:MaxEntryBytes ({MaxEntryBytes}).")]
    public static partial void CacheEntryTooLarge(this ILogger logger, int size, int maxEntryBytes);

    [LoggerMessage(EventId = 201, Level = LogLevel.Debug, Message = "Cache lookup: Redis is unavailable; only this instance's memory was looked in.")]
    public static partial void CacheReadFromMemoryOnly(this ILogger logger);

    [LoggerMessage(EventId = 202, Level = LogLevel.Debug, Message = "Cache write: Redis is unavailable; the entry is kept in this instance's memory only.")]
    public static partial void CacheWrittenToMemoryOnly(this ILogger logger);

    [LoggerMessage(EventId = 203, Level = LogLevel.Warning, Message = "Cache purge: Redis is unavailable; {FromMemory} entries were removed from this instance's memory ({FromRedis} from Redis before it failed). Other instances could not be told, and Redis may still hold matching entries: purge again when Redis is back.")]
    public static partial void CachePurgedInMemoryOnly(this ILogger logger, long fromMemory, long fromRedis);

    [LoggerMessage(EventId = 204, Level = LogLevel.Warning, Message = "Cache: subscribing to purges failed (retried at the next Redis command); until then, purges made on other instances do not reach this instance's memory.")]
    public static partial void CachePurgeSubscriptionFailed(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 205, Level = LogLevel.Warning, Message = "Cache: Redis refused a command ({Operation}); the cache works as a miss or from memory meanwhile (logged at most once a minute).")]
    public static partial void CacheRedisRefused(this ILogger logger, string operation, Exception exception);

    [LoggerMessage(EventId = 206, Level = LogLevel.Debug, Message = "Cache purge from another instance: {Count} entries removed from this instance's memory.")]
    public static partial void CachePurgeReceived(this ILogger logger, long count);

    [LoggerMessage(EventId = 207, Level = LogLevel.Warning, Message = "Cache: a purge message could not be read; it was ignored.")]
    public static partial void CachePurgeMessageUnreadable(this ILogger logger, Exception exception);

    [LoggerMessage(EventId = 208, Level = LogLevel.Warning, Message = "Cache: a purge from another instance failed on this instance's near level; its entries there live out their lifetime.")]
    public static partial void CachePurgeNearFailed(this ILogger logger, Exception exception);
}
