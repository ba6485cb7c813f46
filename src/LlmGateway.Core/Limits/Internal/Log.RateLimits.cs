using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>Rate-limit log messages (event ids 120–139).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 120, Level = LogLevel.Debug, Message = "Rate limits were counted in this instance's memory: Redis is unavailable.")]
    public static partial void RateLimitsCountedInMemory(this ILogger logger);

    [LoggerMessage(EventId = 121, Level = LogLevel.Debug, Message = "A rate-limit settlement was applied in this instance's memory: Redis is unavailable.")]
    public static partial void RateLimitSettledInMemory(this ILogger logger);
}
