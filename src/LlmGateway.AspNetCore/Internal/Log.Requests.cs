using Microsoft.Extensions.Logging;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>The per-request line (event ids 3010–3019).</summary>
// A class of its own per file, not one partial Log: the logging source generator emits a partial class's
// methods in no fixed order, which made builds differ byte for byte.
internal static partial class RequestsLog
{
    [LoggerMessage(EventId = 3010, Level = LogLevel.Information, Message = "{Endpoint} answered {Status} in {LatencyMs} ms: provider {Provider}, model {Model}, {Attempts} attempt(s), retries {Retries}, tokens {InputTokens} in / {OutputTokens} out, cache {Cache}, error {ErrorType}, continuation {Continuation}, hedge {Hedge}")]
    public static partial void RequestCompleted(this ILogger logger, string endpoint, int status, double latencyMs, string provider, string model, int attempts, int retries, long inputTokens, long outputTokens, string cache, string errorType, string continuation, string hedge);
}
