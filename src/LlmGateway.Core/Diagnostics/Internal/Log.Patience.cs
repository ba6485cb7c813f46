using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>What the gateway logs about silent upstreams (event ids 290–299).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 290, Level = LogLevel.Warning, Message = "Provider {Provider}: no response headers and first event of a stream within {Timeout} ({Setting}); the attempt was abandoned.")]
    public static partial void FirstByteTimedOut(this ILogger logger, string provider, TimeSpan timeout, string setting);
}
