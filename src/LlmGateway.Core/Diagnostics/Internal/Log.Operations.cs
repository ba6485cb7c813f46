using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>Operations: graceful shutdown and readiness (event ids 240–259).</summary>
// A class of its own per file, not one partial Log: the logging source generator emits a partial class's
// methods in no fixed order, which made builds differ byte for byte.
internal static partial class OperationsLog
{
    [LoggerMessage(EventId = 240, Level = LogLevel.Information, Message = "The host is stopping: running streams may go on for {DrainTimeout} (LlmGateway:ShutdownDrainTimeout).")]
    public static partial void ShutdownDrainStarted(this ILogger logger, TimeSpan drainTimeout);

    [LoggerMessage(EventId = 241, Level = LogLevel.Warning, Message = "The shutdown drain time ({DrainTimeout}) is over: streams still running are being ended with a server_shutting_down error event.")]
    public static partial void ShutdownDrainExpired(this ILogger logger, TimeSpan drainTimeout);

    [LoggerMessage(EventId = 242, Level = LogLevel.Warning, Message = "Stream from provider {Provider} was ended by the shutdown before it finished ({Cause}).")]
    public static partial void StreamCutByShutdown(this ILogger logger, string? provider, string cause);

    [LoggerMessage(EventId = 243, Level = LogLevel.Warning, Message = "The host's shutdown timeout ({ShutdownTimeout}) is not longer than LlmGateway:ShutdownDrainTimeout ({DrainTimeout}): connections may be aborted before running streams get their final error event. Set HostOptions.ShutdownTimeout to the drain plus a margin.")]
    public static partial void ShutdownTimeoutTooShort(this ILogger logger, TimeSpan shutdownTimeout, TimeSpan drainTimeout);

    [LoggerMessage(EventId = 244, Level = LogLevel.Warning, Message = "Request {Path} did not finish within the shutdown drain time; answered 503 server_shutting_down.")]
    public static partial void RequestCutByShutdown(this ILogger logger, string path);
}
