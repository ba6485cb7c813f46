using Microsoft.Extensions.Logging;

namespace LlmGateway.OpenAI.Internal;

/// <summary>The OpenAI provider's log messages (event ids 1000–1999). Never logs keys, prompts or completions.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Warning, Message = "Provider {Provider}: upstream answered {Status}.")]
    public static partial void UpstreamStatus(this ILogger logger, string provider, int status);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Provider {Provider}: upstream unreachable.")]
    public static partial void UpstreamUnreachable(this ILogger logger, string provider, Exception exception);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "Provider {Provider}: upstream timed out after {Timeout}.")]
    public static partial void UpstreamTimedOut(this ILogger logger, string provider, TimeSpan timeout);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Provider {Provider}: upstream answered an invalid response: {Reason}")]
    public static partial void UpstreamInvalid(this ILogger logger, string provider, string reason);
}
