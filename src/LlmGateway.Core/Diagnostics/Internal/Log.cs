using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>Core's log messages (event ids 1–999). Never logs keys, prompts or completions.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "LlmGateway configuration reloaded: {ProviderCount} provider instance(s).")]
    public static partial void ConfigurationReloaded(this ILogger logger, int providerCount);

    [LoggerMessage(EventId = 2, Level = LogLevel.Error, Message = "LlmGateway configuration change rejected; the previous configuration stays in force. {Reason}")]
    public static partial void ConfigurationReloadRejected(this ILogger logger, string reason);

    [LoggerMessage(EventId = 3, Level = LogLevel.Error, Message = "Unexpected failure in the gateway pipeline for provider {Provider}.")]
    public static partial void PipelineFailed(this ILogger logger, string? provider, Exception exception);

    [LoggerMessage(EventId = 4, Level = LogLevel.Warning, Message = "Could not list the models of provider {Provider}: {Reason}")]
    public static partial void ModelListFailed(this ILogger logger, string provider, string reason);

    [LoggerMessage(EventId = 5, Level = LogLevel.Warning, Message = "Stream from provider {Provider} failed after it started: {Reason}")]
    public static partial void StreamFailed(this ILogger logger, string? provider, string reason);

    [LoggerMessage(EventId = 6, Level = LogLevel.Debug, Message = "Client went away during a stream from provider {Provider}.")]
    public static partial void StreamCanceled(this ILogger logger, string? provider);

    [LoggerMessage(EventId = 7, Level = LogLevel.Error, Message = "Unexpected failure in a stream from provider {Provider}.")]
    public static partial void StreamCrashed(this ILogger logger, string? provider, Exception exception);

    // Event id 8 (an upstream's error status) is logged by the providers themselves, and 12 (no Responses API) by the
    // OpenAI provider: they keep these ids.
    [LoggerMessage(EventId = 9, Level = LogLevel.Warning, Message = "Provider {Provider}: upstream unreachable.")]
    public static partial void UpstreamUnreachable(this ILogger logger, string provider, Exception exception);

    [LoggerMessage(EventId = 10, Level = LogLevel.Warning, Message = "Provider {Provider}: upstream timed out after {Timeout}.")]
    public static partial void UpstreamTimedOut(this ILogger logger, string provider, TimeSpan timeout);

    [LoggerMessage(EventId = 11, Level = LogLevel.Warning, Message = "Provider {Provider}: upstream answered an invalid response: {Reason}")]
    public static partial void UpstreamInvalid(this ILogger logger, string provider, string reason);
}
