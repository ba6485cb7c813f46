using Microsoft.Extensions.Logging;

namespace LlmGateway.OpenAI.Internal;

/// <summary>The OpenAI provider's log messages; their event ids are those the gateway used for them before the
/// provider had its own. Never logs keys, prompts or completions.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 8, Level = LogLevel.Warning, Message = "Provider {Provider}: upstream answered {Status}.")]
    public static partial void UpstreamStatus(this ILogger logger, string provider, int status);

    [LoggerMessage(EventId = 12, Level = LogLevel.Information, Message = "Provider {Provider}: the upstream has no Responses API; chat completions go to /chat/completions from now on.")]
    public static partial void ResponsesApiUnavailable(this ILogger logger, string provider);

    /// <summary>Sets the upstream's request id on a response the provider just made (no copy, unlike
    /// <see cref="GatewayResponse.WithUpstreamRequestId"/>).</summary>
    public static GatewayResponse WithUpstreamRequestIdSet(this GatewayResponse response, string? upstreamRequestId)
    {
        response.UpstreamRequestId = upstreamRequestId;
        return response;
    }
}
