using Microsoft.Extensions.Logging;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>Graceful shutdown as the HTTP layer sees it. These keep the event ids 243 and 244 they had when
/// LlmGateway.Core wrote them, in Core's shutdown range (240–259), so that filters and alerts on them still match.</summary>
// A class of its own per file, not one partial Log: the logging source generator emits a partial class's
// methods in no fixed order, which made builds differ byte for byte.
internal static partial class ShutdownLog
{
    [LoggerMessage(EventId = 243, Level = LogLevel.Warning, Message = "The host's shutdown timeout ({ShutdownTimeout}) is not longer than LlmGateway:ShutdownDrainTimeout ({DrainTimeout}): connections may be aborted before running streams get their final error event. Set HostOptions.ShutdownTimeout to the drain plus a margin.")]
    public static partial void ShutdownTimeoutTooShort(this ILogger logger, TimeSpan shutdownTimeout, TimeSpan drainTimeout);

    [LoggerMessage(EventId = 244, Level = LogLevel.Warning, Message = "Request {Path} did not finish within the shutdown drain time; answered 503 server_shutting_down.")]
    public static partial void RequestCutByShutdown(this ILogger logger, string path);
}
