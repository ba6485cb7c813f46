using System.Text;
using Microsoft.Extensions.AI;

namespace LlmGateway.Samples.Extending.Tests;

/// <summary>Anthropic's error answers → the gateway's errors in OpenAI's envelope.</summary>
public sealed class AnthropicErrorTests : IDisposable
{
    private const string Chat = """{"model":"assistant","messages":[{"role":"user","content":"Hi"}]}""";

    private readonly AnthropicUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task InvalidRequestEnvelope_Is400WithAnthropicsMessage()
    {
        _upstream.PostReturns("""{"type":"error","error":{"type":"invalid_request_error","message":"messages.0.content: Input should be a valid list"}}""", status: 400,
            headers: ("request-id", "req_011CSHoEeqs5C35K2UUqR7Fy"));

        await using var response = await _upstream.SendAsync(Chat);

        response.Error!.Kind.Should().Be(GatewayErrorKind.UpstreamError);
        response.Error.StatusCode.Should().Be(400);
        response.Error.Type.Should().Be("invalid_request_error");
        response.Error.Message.Should().Be("messages.0.content: Input should be a valid list");
        response.UpstreamRequestId.Should().Be("req_011CSHoEeqs5C35K2UUqR7Fy");
    }

    [Fact]
    public async Task RateLimited_Is429WithTheUpstreamsRetryAfter()
    {
        _upstream.PostReturns("""{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}""", status: 429,
            headers: ("retry-after", "17"));

        await using var response = await _upstream.SendAsync(Chat);

        response.Error!.StatusCode.Should().Be(429);
        response.Error.Code.Should().Be("rate_limit_exceeded");
        response.Error.RetryAfter.Should().Be(TimeSpan.FromSeconds(17));
        response.Error.Message.Should().Contain("rate limit");
    }

    [Fact]
    public async Task RateLimited_ThroughTheChatClient_IsAClientResultExceptionWith429()
    {
        _upstream.PostReturns("""{"type":"error","error":{"type":"rate_limit_error","message":"Slow down"}}""", status: 429, headers: ("retry-after", "17"));

        var act = () => _upstream.Gateway.GetChatClient("assistant").GetResponseAsync("Hi");

        (await act.Should().ThrowAsync<System.ClientModel.ClientResultException>()).Which.Status.Should().Be(429);
    }

    [Fact]
    public async Task Overloaded529_Is503()
    {
        _upstream.PostReturns("""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", status: 529);

        await using var response = await _upstream.SendAsync(Chat);

        response.Error!.StatusCode.Should().Be(503, "OpenAI clients know 503, and the gateway fails over on it");
        response.Error.Code.Should().Be("overloaded");
        response.Error.Message.Should().Be("Overloaded");
    }

    [Fact]
    public async Task GatewayKeyRejected_Is502UpstreamAuthFailedWithoutTheUpstreamsText()
    {
        _upstream.PostReturns("""{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}""", status: 401);

        await using var response = await _upstream.SendAsync(Chat);

        response.Error!.Kind.Should().Be(GatewayErrorKind.UpstreamAuthFailed);
        response.Error.StatusCode.Should().Be(502);
        response.Error.Message.Should().NotContain("x-api-key");
    }

    [Theory]
    [InlineData(401, "authentication_error")]
    [InlineData(403, "permission_error")]
    public void CallersOwnKeyRejected_KeepsTheStatusAndMessage(int status, string type)
    {
        var error = Anthropic.AnthropicErrors.FromResponse("anthropic", status, Encoding.UTF8.GetBytes($$$"""{"type":"error","error":{"type":"{{{type}}}","message":"invalid x-api-key"}}"""), retryAfter: null, callerKey: true);

        error.StatusCode.Should().Be(status, "a caller's own key was refused: the caller must hear so");
        error.Type.Should().Be(type);
        error.Message.Should().Be("invalid x-api-key");
    }

    [Fact]
    public async Task PromptTooLong_IsContextLengthExceeded()
    {
        _upstream.PostReturns("""{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 208310 tokens > 200000 maximum"}}""", status: 400);

        await using var response = await _upstream.SendAsync(Chat);

        response.Error!.StatusCode.Should().Be(400);
        response.Error.Code.Should().Be("context_length_exceeded");
    }

    [Fact]
    public async Task NotAnEnvelope_KeepsTheStatusWithAShortMessage()
    {
        _upstream.PostReturns("<html>Bad gateway</html>", status: 502, contentType: "text/html");

        await using var response = await _upstream.SendAsync(Chat);

        response.Error!.StatusCode.Should().Be(502);
        response.Error.Message.Should().Be("The upstream of provider instance 'anthropic' answered 502.");
    }

    [Fact]
    public async Task Unreachable_IsUpstreamUnreachable()
    {
        _upstream.Settings["LlmGateway:Providers:anthropic:BaseUrl"] = "http://127.0.0.1:9";

        await using var response = await _upstream.SendAsync(Chat);

        response.Error!.Kind.Should().Be(GatewayErrorKind.UpstreamUnreachable);
    }
}
