using Microsoft.Extensions.Logging;

namespace LlmGateway.Redis.Internal;

/// <summary>Usage log messages (event ids 160–179). Never names a key's secret, a prompt or a completion.</summary>
// A class of its own per file, not one partial Log: the logging source generator emits a partial class's
// methods in no fixed order, which made builds differ byte for byte.
internal static partial class RedisUsageLog
{
    [LoggerMessage(EventId = 160, Level = LogLevel.Information, Message = "Added {Count} usage entries recorded during the Redis outage to Redis.")]
    public static partial void UsagePendingFlushed(this ILogger logger, int count);

    [LoggerMessage(EventId = 161, Level = LogLevel.Warning, Message = "Redis refused a usage {Operation}; usage is kept in this instance's memory until a write succeeds.")]
    public static partial void UsageRedisRefused(this ILogger logger, string operation, Exception exception);

    [LoggerMessage(EventId = 162, Level = LogLevel.Error, Message = "Adding the usage recorded during a Redis outage failed unexpectedly; it is kept in memory for the next attempt.")]
    public static partial void UsageFlushCrashed(this ILogger logger, Exception exception);
}
