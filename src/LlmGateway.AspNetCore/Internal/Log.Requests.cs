using Microsoft.Extensions.Logging;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>The per-request line (event ids 3010–3019).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "{Endpoint} answered {Status} in {LatencyMs} ms: provider {Provider}, model {Model}, {Attempts} attempt(s), tokens {InputTokens} in / {OutputTokens} out, cache {Cache}, error {ErrorType}")]
    public static partial void RequestCompleted(this ILogger logger, string endpoint, int status, double latencyMs, string provider, string model, int attempts, long inputTokens, long outputTokens, string cache, string errorType);
}
