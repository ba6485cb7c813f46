namespace LlmGateway;

/// <summary>
/// What went wrong, independent of the HTTP status and OpenAI error <c>type</c>/<c>code</c> it maps to.
/// One table maps every kind to its status, type and code (see the error table in docs/endpoints.md).
/// </summary>
public enum GatewayErrorKind
{
    /// <summary>The request body is not valid JSON. 400, <c>invalid_request_error</c>, <c>invalid_json</c>.</summary>
    InvalidJson,

    /// <summary>The request is well-formed JSON but not a valid request. 400, <c>invalid_request_error</c>.</summary>
    InvalidRequest,

    /// <summary>A required parameter is missing. 400, <c>invalid_request_error</c>, <c>missing_required_parameter</c>.</summary>
    MissingParameter,

    /// <summary>A parameter has the wrong JSON type. 400, <c>invalid_request_error</c>, <c>invalid_type</c>.</summary>
    InvalidParameterType,

    /// <summary>The request body is larger than allowed. 413, <c>invalid_request_error</c>, <c>request_too_large</c>.</summary>
    RequestTooLarge,

    /// <summary>The model resolves to no provider instance. 404, <c>invalid_request_error</c>, <c>model_not_found</c>.</summary>
    ModelNotFound,

    /// <summary>The provider that serves the model cannot do this operation. 400, <c>invalid_request_error</c>, <c>unsupported_operation</c>.</summary>
    UnsupportedOperation,

    /// <summary>No such endpoint. 404, <c>invalid_request_error</c>, <c>unknown_url</c>.</summary>
    NotFound,

    /// <summary>The endpoint exists but not for this HTTP method. 405, <c>invalid_request_error</c>, <c>method_not_allowed</c>.</summary>
    MethodNotAllowed,

    /// <summary>The provider instance lacks a setting it needs (usually its key). 503, <c>server_error</c>, <c>provider_not_configured</c>.</summary>
    ProviderNotConfigured,

    /// <summary>The upstream answered with an error status; its status and body are passed on.</summary>
    UpstreamError,

    /// <summary>The upstream could not be reached (refused, reset, DNS). 502, <c>server_error</c>, <c>upstream_unreachable</c>.</summary>
    UpstreamUnreachable,

    /// <summary>The upstream answered something that is not a valid response. 502, <c>server_error</c>, <c>upstream_invalid_response</c>.</summary>
    UpstreamInvalidResponse,

    /// <summary>The upstream did not answer in time. 504, <c>server_error</c>, <c>upstream_timeout</c>.</summary>
    UpstreamTimeout,

    /// <summary>The upstream is known to be failing (its circuit is open). 503, <c>server_error</c>, <c>upstream_unavailable</c>.</summary>
    UpstreamUnavailable,

    /// <summary>A stream broke after it had started. Sent as a final SSE error event; 502 if nothing was sent yet.</summary>
    StreamInterrupted,

    /// <summary>A bug in the gateway. 500, <c>server_error</c>, <c>internal_error</c>; the details are logged, never sent.</summary>
    Internal,

    /// <summary>The caller's key is missing, unknown, revoked or expired. 401, <c>invalid_request_error</c>, <c>invalid_api_key</c>.</summary>
    InvalidApiKey,

    /// <summary>The caller's key may not use this model. 403, <c>invalid_request_error</c>, <c>model_not_allowed</c>.</summary>
    PermissionDenied,

    /// <summary>The caller is over a rate limit. 429, <c>requests</c> or <c>tokens</c>, <c>rate_limit_exceeded</c>.</summary>
    RateLimited,

    /// <summary>The caller's budget is spent. 429, <c>insufficient_quota</c>, <c>insufficient_quota</c>.</summary>
    InsufficientQuota,

    /// <summary>A service the gateway needs for this request (the shared store) is down. 503, <c>server_error</c>, <c>service_unavailable</c>.</summary>
    ServiceUnavailable,

    /// <summary>The host is stopping: a stream still running when the drain time
    /// (<see cref="LlmGatewayOptions.ShutdownDrainTimeout"/>) ran out was ended with this as its last event. 503,
    /// <c>server_error</c>, <c>server_shutting_down</c>.</summary>
    ServerShuttingDown,

    /// <summary>A parameter has the right JSON type but a value outside what is allowed (a range, a control character
    /// in a model name). 400, <c>invalid_request_error</c>, <c>invalid_value</c>.</summary>
    InvalidValue,

    /// <summary>The request body's <c>Content-Type</c> is not one the endpoint takes (in auth mode None, JSON endpoints take
    /// only <c>application/json</c>). 415, <c>invalid_request_error</c>, <c>unsupported_media_type</c>.</summary>
    UnsupportedMediaType,

    /// <summary>In auth mode None, the request's <c>Host</c> is neither loopback nor in
    /// <see cref="AuthOptions.AllowedHosts"/>. 403, <c>invalid_request_error</c>, <c>host_not_allowed</c>.</summary>
    HostNotAllowed,

    /// <summary>In auth mode None, the request comes from a browser page of an origin that
    /// <see cref="GatewayCorsOptions.Origins"/> does not allow. 403, <c>invalid_request_error</c>, <c>origin_not_allowed</c>.</summary>
    OriginNotAllowed,

    /// <summary>The request's headers are over the gateway's limits. 431, <c>invalid_request_error</c>, <c>request_headers_too_large</c>.</summary>
    RequestHeadersTooLarge,

    /// <summary>The request's URL is longer than the gateway accepts. 414, <c>invalid_request_error</c>, <c>uri_too_long</c>.</summary>
    UriTooLong,

    /// <summary>A provider instance refused the credentials the gateway holds for it (its configured key, or one
    /// stored with the caller's gateway key): a 401 or 403 from the upstream that is not about the caller. 502,
    /// <c>server_error</c>, <c>upstream_auth_failed</c>; the upstream's text is logged, never sent.</summary>
    UpstreamAuthFailed,
}
