using Microsoft.Extensions.Logging;

namespace LlmGateway.Redis.Internal;

/// <summary>Redis log messages (event ids 100–119). Event id ranges: 120–139 rate limits, 140–159 keys, 160–179 usage,
/// 180–199 authentication and policy.</summary>
// A class of its own per file, not one partial Log: the logging source generator emits a partial class's
// methods in no fixed order, which made builds differ byte for byte.
internal static partial class RedisLog
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Warning, Message = "Redis ({Endpoint}) is unavailable ({Kind}: {Reason}); keys, limits and usage are served from this instance's memory until it is back.")]
    public static partial void RedisUnavailable(this ILogger logger, string? endpoint, string kind, string reason);

    [LoggerMessage(EventId = 101, Level = LogLevel.Information, Message = "Redis ({Endpoint}) is back; shared keys, limits and usage are in force again.")]
    public static partial void RedisRestored(this ILogger logger, string? endpoint);
}
