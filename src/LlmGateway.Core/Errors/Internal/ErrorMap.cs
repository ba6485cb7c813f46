namespace LlmGateway.Internal;

/// <summary>
/// The one table that maps each <see cref="GatewayErrorKind"/> to an HTTP status and OpenAI error type and code.
/// </summary>
internal static class ErrorMap
{
    internal const string InvalidRequestError = "invalid_request_error";
    internal const string ServerError = "server_error";

    private static readonly Entry[] s_entries = Build();

    public static Entry Get(GatewayErrorKind kind) => s_entries[(int)kind];

    private static Entry[] Build()
    {
        var entries = new Entry[Enum.GetValues<GatewayErrorKind>().Length];
        void Set(GatewayErrorKind kind, int status, string type, string? code) => entries[(int)kind] = new Entry(status, type, code);

        Set(GatewayErrorKind.InvalidJson, 400, InvalidRequestError, "invalid_json");
        Set(GatewayErrorKind.InvalidRequest, 400, InvalidRequestError, "invalid_request");
        Set(GatewayErrorKind.MissingParameter, 400, InvalidRequestError, "missing_required_parameter");
        Set(GatewayErrorKind.InvalidParameterType, 400, InvalidRequestError, "invalid_type");
        Set(GatewayErrorKind.RequestTooLarge, 413, InvalidRequestError, "request_too_large");
        Set(GatewayErrorKind.ModelNotFound, 404, InvalidRequestError, "model_not_found");
        Set(GatewayErrorKind.UnsupportedOperation, 400, InvalidRequestError, "unsupported_operation");
        Set(GatewayErrorKind.NotFound, 404, InvalidRequestError, "unknown_url");
        Set(GatewayErrorKind.MethodNotAllowed, 405, InvalidRequestError, "method_not_allowed");
        Set(GatewayErrorKind.ProviderNotConfigured, 503, ServerError, "provider_not_configured");
        Set(GatewayErrorKind.UpstreamError, 502, ServerError, "upstream_error");
        Set(GatewayErrorKind.UpstreamUnreachable, 502, ServerError, "upstream_unreachable");
        Set(GatewayErrorKind.UpstreamInvalidResponse, 502, ServerError, "upstream_invalid_response");
        Set(GatewayErrorKind.UpstreamTimeout, 504, ServerError, "upstream_timeout");
        Set(GatewayErrorKind.UpstreamUnavailable, 503, ServerError, "upstream_unavailable");
        Set(GatewayErrorKind.StreamInterrupted, 502, ServerError, "stream_interrupted");
        Set(GatewayErrorKind.Internal, 500, ServerError, "internal_error");
        Set(GatewayErrorKind.InvalidApiKey, 401, InvalidRequestError, "invalid_api_key");
        Set(GatewayErrorKind.PermissionDenied, 403, InvalidRequestError, "model_not_allowed");
        Set(GatewayErrorKind.RateLimited, 429, "requests", "rate_limit_exceeded");
        Set(GatewayErrorKind.InsufficientQuota, 429, "insufficient_quota", "insufficient_quota");
        Set(GatewayErrorKind.ServiceUnavailable, 503, ServerError, "service_unavailable");
        Set(GatewayErrorKind.ServerShuttingDown, 503, ServerError, "server_shutting_down");
        Set(GatewayErrorKind.InvalidValue, 400, InvalidRequestError, "invalid_value");
        Set(GatewayErrorKind.UnsupportedMediaType, 415, InvalidRequestError, "unsupported_media_type");
        Set(GatewayErrorKind.HostNotAllowed, 403, InvalidRequestError, "host_not_allowed");
        Set(GatewayErrorKind.OriginNotAllowed, 403, InvalidRequestError, "origin_not_allowed");
        Set(GatewayErrorKind.RequestHeadersTooLarge, 431, InvalidRequestError, "request_headers_too_large");
        Set(GatewayErrorKind.UriTooLong, 414, InvalidRequestError, "uri_too_long");
        Set(GatewayErrorKind.UpstreamAuthFailed, 502, ServerError, "upstream_auth_failed");
        return entries;
    }

    internal readonly record struct Entry(int StatusCode, string Type, string? Code);
}
