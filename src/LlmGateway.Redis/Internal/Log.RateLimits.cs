using Microsoft.Extensions.Logging;

namespace LlmGateway.Redis.Internal;

/// <summary>Rate-limit log messages (event ids 120–139).</summary>
// A class of its own per file, not one partial Log: the logging source generator emits a partial class's
// methods in no fixed order, which made builds differ byte for byte.
internal static partial class RedisRateLimitsLog
{
    [LoggerMessage(EventId = 120, Level = LogLevel.Debug, Message = "Rate limits were counted in this instance's memory: Redis is unavailable.")]
    public static partial void RateLimitsCountedInMemory(this ILogger logger);

    [LoggerMessage(EventId = 121, Level = LogLevel.Debug, Message = "A rate-limit settlement was applied in this instance's memory: Redis is unavailable.")]
    public static partial void RateLimitSettledInMemory(this ILogger logger);
}
