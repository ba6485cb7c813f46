using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Errors;

public class ErrorMapTests
{
    public static TheoryData<GatewayErrorKind> AllKinds => new(Enum.GetValues<GatewayErrorKind>());

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Get_EveryKind_HasACompleteEntry(GatewayErrorKind kind)
    {
        var entry = ErrorMap.Get(kind);

        entry.StatusCode.Should().BeInRange(400, 599);
        entry.Type.Should().BeOneOf(ErrorMap.InvalidRequestError, ErrorMap.ServerError, "requests", "insufficient_quota");
        entry.Code.Should().NotBeNullOrWhiteSpace();
    }

    [Theory]
    [MemberData(nameof(AllKinds))]
    public void Get_EveryKind_TypeMatchesTheStatusClass(GatewayErrorKind kind)
    {
        var entry = ErrorMap.Get(kind);
        if (kind is GatewayErrorKind.RateLimited or GatewayErrorKind.InsufficientQuota)
        {
            // OpenAI's own 429 types, which clients tell apart: "requests" (or "tokens") and "insufficient_quota".
            entry.StatusCode.Should().Be(429);
            return;
        }

        entry.Type.Should().Be(entry.StatusCode < 500 ? ErrorMap.InvalidRequestError : ErrorMap.ServerError);
    }

    [Fact]
    public void Get_AllKinds_HaveDistinctCodes()
    {
        var codes = Enum.GetValues<GatewayErrorKind>().Select(k => ErrorMap.Get(k).Code);

        codes.Should().OnlyHaveUniqueItems();
    }

    [Theory]
    [InlineData(GatewayErrorKind.InvalidJson, 400, "invalid_request_error", "invalid_json")]
    [InlineData(GatewayErrorKind.InvalidRequest, 400, "invalid_request_error", "invalid_request")]
    [InlineData(GatewayErrorKind.MissingParameter, 400, "invalid_request_error", "missing_required_parameter")]
    [InlineData(GatewayErrorKind.InvalidParameterType, 400, "invalid_request_error", "invalid_type")]
    [InlineData(GatewayErrorKind.RequestTooLarge, 413, "invalid_request_error", "request_too_large")]
    [InlineData(GatewayErrorKind.ModelNotFound, 404, "invalid_request_error", "model_not_found")]
    [InlineData(GatewayErrorKind.UnsupportedOperation, 400, "invalid_request_error", "unsupported_operation")]
    [InlineData(GatewayErrorKind.NotFound, 404, "invalid_request_error", "unknown_url")]
    [InlineData(GatewayErrorKind.MethodNotAllowed, 405, "invalid_request_error", "method_not_allowed")]
    [InlineData(GatewayErrorKind.ProviderNotConfigured, 503, "server_error", "provider_not_configured")]
    [InlineData(GatewayErrorKind.InvalidApiKey, 401, "invalid_request_error", "invalid_api_key")]
    [InlineData(GatewayErrorKind.PermissionDenied, 403, "invalid_request_error", "model_not_allowed")]
    [InlineData(GatewayErrorKind.RateLimited, 429, "requests", "rate_limit_exceeded")]
    [InlineData(GatewayErrorKind.InsufficientQuota, 429, "insufficient_quota", "insufficient_quota")]
    [InlineData(GatewayErrorKind.ServiceUnavailable, 503, "server_error", "service_unavailable")]
    [InlineData(GatewayErrorKind.ServerShuttingDown, 503, "server_error", "server_shutting_down")]
    [InlineData(GatewayErrorKind.UpstreamError, 502, "server_error", "upstream_error")]
    [InlineData(GatewayErrorKind.UpstreamUnreachable, 502, "server_error", "upstream_unreachable")]
    [InlineData(GatewayErrorKind.UpstreamInvalidResponse, 502, "server_error", "upstream_invalid_response")]
    [InlineData(GatewayErrorKind.UpstreamTimeout, 504, "server_error", "upstream_timeout")]
    [InlineData(GatewayErrorKind.UpstreamUnavailable, 503, "server_error", "upstream_unavailable")]
    [InlineData(GatewayErrorKind.StreamInterrupted, 502, "server_error", "stream_interrupted")]
    [InlineData(GatewayErrorKind.Internal, 500, "server_error", "internal_error")]
    [InlineData(GatewayErrorKind.UnsupportedMediaType, 415, "invalid_request_error", "unsupported_media_type")]
    [InlineData(GatewayErrorKind.HostNotAllowed, 403, "invalid_request_error", "host_not_allowed")]
    [InlineData(GatewayErrorKind.OriginNotAllowed, 403, "invalid_request_error", "origin_not_allowed")]
    [InlineData(GatewayErrorKind.RequestHeadersTooLarge, 431, "invalid_request_error", "request_headers_too_large")]
    [InlineData(GatewayErrorKind.UriTooLong, 414, "invalid_request_error", "uri_too_long")]
    public void Get_Kind_MapsToTheDocumentedStatusTypeAndCode(GatewayErrorKind kind, int status, string type, string code)
    {
        var entry = ErrorMap.Get(kind);

        entry.Should().Be(new ErrorMap.Entry(status, type, code));
    }

    [Fact]
    public void GatewayError_NewError_TakesStatusTypeAndCodeFromTheMap()
    {
        var error = new GatewayError(GatewayErrorKind.ModelNotFound, "The model 'x' does not exist.", "model");

        error.StatusCode.Should().Be(404);
        error.Type.Should().Be("invalid_request_error");
        error.Code.Should().Be("model_not_found");
        error.Param.Should().Be("model");
    }
}
