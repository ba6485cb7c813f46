using Microsoft.Extensions.Logging;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>The ASP.NET Core layer's log messages (event ids 3000–3999).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 3000, Level = LogLevel.Error, Message = "Unhandled failure handling {Path}.")]
    public static partial void EndpointFailed(this ILogger logger, string path, Exception exception);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "The body from provider {Provider} broke while it was passed on; the response was aborted.")]
    public static partial void BodyStreamFailed(this ILogger logger, string? provider, Exception exception);

    [LoggerMessage(EventId = 3020, Level = LogLevel.Warning, Message = "Refused a request in auth mode None ({Code}): Host '{Host}', Origin '{Origin}'. Only loopback hosts, LlmGateway:Auth:AllowedHosts and origins in LlmGateway:Cors:Origins are served.")]
    public static partial void NoneModeRequestRefused(this ILogger logger, string? code, string? host, string origin);

    [LoggerMessage(EventId = 3021, Level = LogLevel.Debug, Message = "Refused a {Method} request: its headers or URL are over the gateway's limits ({Code}).")]
    public static partial void RequestOverLimits(this ILogger logger, string method, string? code);
}
