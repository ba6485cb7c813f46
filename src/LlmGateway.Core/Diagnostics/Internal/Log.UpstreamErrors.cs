using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>What the gateway logs about upstream error answers it translated for the client.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 270, Level = LogLevel.Warning, Message = "Provider instance {Provider} rejected the gateway's credentials (upstream status {Status}): check the API key configured for it, or the provider key stored with the caller's gateway key. The caller was answered 502 upstream_auth_failed.")]
    public static partial void UpstreamRejectedGatewayKey(this ILogger logger, string provider, int status);

    [LoggerMessage(EventId = 271, Level = LogLevel.Debug, Message = "Provider instance {Provider} answered {Status} with a body that is not an API error; the caller got a short message. Body (truncated, escaped): {Body}")]
    public static partial void UpstreamErrorBody(this ILogger logger, string provider, int status, string body);
}
