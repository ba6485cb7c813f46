using Microsoft.Extensions.Logging;

namespace LlmGateway.Gemini.Internal;

/// <summary>The Gemini provider's log messages (event ids 2000–2999). Never logs keys, prompts or completions.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Provider {Provider}: upstream answered {Status}.")]
    public static partial void UpstreamStatus(this ILogger logger, string provider, int status);

    [LoggerMessage(EventId = 2000, Level = LogLevel.Warning, Message = "Provider {Provider}: the models API answered {Status}; using the built-in list.")]
    public static partial void ModelListFailed(this ILogger logger, string provider, int status);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Warning, Message = "Provider {Provider}: the models API could not be read; using the built-in list.")]
    public static partial void ModelListUnreachable(this ILogger logger, string provider, Exception exception);
}
