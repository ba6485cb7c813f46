using System.Text;
using LlmGateway.Internal;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmGateway.Core.Tests.Providers;

public class UpstreamErrorsTests
{
    private const string KeyError = """{"error":{"message":"Incorrect API key provided: sk-proj-abcdef1234567890.","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}""";

    [Fact]
    public void FromResponse_401ToTheGatewaysKey_Is502UpstreamAuthFailedWithoutTheUpstreamText()
    {
        var error = UpstreamErrors.FromResponse("openai", 401, Encoding.UTF8.GetBytes(KeyError), retry: null, callerKey: false, NullLogger.Instance);

        error.Kind.Should().Be(GatewayErrorKind.UpstreamAuthFailed);
        error.StatusCode.Should().Be(502);
        error.Code.Should().Be("upstream_auth_failed");
        error.Message.Should().Contain("'openai'").And.NotContain("sk-");
    }

    [Fact]
    public void FromResponse_401ToTheCallersKey_KeepsStatusTypeAndCodeWithTheKeyMasked()
    {
        var error = UpstreamErrors.FromResponse("openai", 401, Encoding.UTF8.GetBytes(KeyError), retry: null, callerKey: true, NullLogger.Instance);

        error.StatusCode.Should().Be(401);
        error.Type.Should().Be("invalid_request_error");
        error.Code.Should().Be("invalid_api_key");
        error.Message.Should().Be("Incorrect API key provided: sk-proj-***");
    }

    [Theory]
    [InlineData("<html>bad gateway</html>", "a non-JSON body")]
    [InlineData("""{"detail":"internal"}""", "a JSON body that is not an API error")]
    [InlineData("", "an empty body")]
    public void FromResponse_NotAnApiError_IsAShortMessageNamingTheStatusAndInstance(string body, string what)
    {
        var error = UpstreamErrors.FromResponse("openai", 502, Encoding.UTF8.GetBytes(body), retry: null, callerKey: false, NullLogger.Instance);

        error.StatusCode.Should().Be(502);
        error.Code.Should().Be("upstream_error");
        error.Message.Should().Be($"The upstream of provider instance 'openai' answered 502 with {what}.");
    }

    [Fact]
    public void FromResponse_ContextLengthError_KeepsItsCodeForFailover()
    {
        var body = """{"error":{"message":"This model's maximum context length is 128000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}""";

        var error = UpstreamErrors.FromResponse("openai", 400, Encoding.UTF8.GetBytes(body), retry: null, callerKey: false, NullLogger.Instance);

        error.Code.Should().Be("context_length_exceeded");
        error.Param.Should().Be("messages");
        error.Message.Should().Be("This model's maximum context length is 128000 tokens.");
    }
}
