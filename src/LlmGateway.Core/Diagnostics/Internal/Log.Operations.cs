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

    // 243 and 244 are the ASP.NET Core layer's (LlmGateway.AspNetCore's ShutdownLog).
}
