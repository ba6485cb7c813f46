using System.Net;
using System.Net.Sockets;
using System.Text;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;

namespace LlmGateway.Providers.Gemini.Tests;

/// <summary>Gemini's <c>{"error":{"code","message","status","details"}}</c> → OpenAI's error envelope.</summary>
public sealed class ErrorTests : IDisposable
{
    private const string Chat = """{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}]}""";

    private readonly GeminiUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Theory]
    [InlineData("error-invalid-argument.json", 400, "invalid_request_error", "invalid_argument", "max_output_tokens: must be positive")]
    [InlineData("error-not-found.json", 404, null, "not_found", "models/gemini-9-ultra is not found")]
    public async Task SendAsync_GeminiClientError_KeepsStatusAndMapsTypeWithoutRetrying(string file, int status, string? type, string code, string message)
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), file, status);

        var response = await _upstream.ChatAsync(Chat);

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("contents", 0, "parts", 0, "text").GetString().Should().Be("Hi");
        response.IsSuccess.Should().BeFalse();
        response.StatusCode.Should().Be(status);
        response.Error!.Kind.Should().Be(GatewayErrorKind.UpstreamError);
        response.Error.StatusCode.Should().Be(status);
        if (type is not null)
        {
            response.Error.Type.Should().Be(type);
        }

        response.Error.Code.Should().Be(code);
        response.Error.Message.Should().Contain(message);
        response.Error.RetryAfter.Should().BeNull();
        response.Error.UpstreamBody.IsEmpty.Should().BeTrue("Gemini's envelope is not OpenAI's, so the gateway writes its own");
    }

    [Fact]
    public async Task SendAsync_PermissionDeniedToTheGatewaysKey_Is502UpstreamAuthFailedWithoutGeminisText()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "error-permission-denied.json", 403);

        var response = await _upstream.ChatAsync(Chat);

        response.StatusCode.Should().Be(502);
        response.Error!.Kind.Should().Be(GatewayErrorKind.UpstreamAuthFailed);
        response.Error.Code.Should().Be("upstream_auth_failed");
        response.Error.Message.Should().Contain("'gemini'").And.NotContain("unregistered callers");
    }

    [Fact]
    public async Task SendAsync_PermissionDeniedToTheCallersOwnKey_KeepsItsStatus()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "error-permission-denied.json", 403);

        var response = await _upstream.CreateProvider().SendAsync(new ProviderRequest(GatewayOperation.ChatCompletions, Encoding.UTF8.GetBytes(Chat), "gemini-2.5-flash", stream: false)
        {
            ApiKey = "AIzaCallersOwnKey0123456789",
            ApiKeyFromCaller = true,
        });

        response.StatusCode.Should().Be(403);
        response.Error!.Type.Should().Be("permission_error");
        response.Error.Code.Should().Be("permission_denied");
        response.Error.Message.Should().Contain("unregistered callers");
    }

    [Fact]
    public async Task SendAsync_ResourceExhaustedWithRetryInfo_Is429RateLimitWithTheRetryDelay()
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "error-resource-exhausted.json", 429);

        var response = await _upstream.ChatAsync(Chat);

        // A short wait may be retried by the upstream client (the retry policy in docs/endpoints.md); every attempt is the same call.
        _upstream.Server.LogEntries.Should().NotBeEmpty().And.HaveCountLessThanOrEqualTo(3);
        foreach (var entry in _upstream.Server.LogEntries)
        {
            var sent = new SentRequest(entry.RequestMessage);
            sent.ShouldBeGeminiCall("POST", GeminiUpstream.GeneratePath());
            sent.Body.Path("contents", 0, "parts", 0, "text").GetString().Should().Be("Hi");
        }

        response.StatusCode.Should().Be(429);
        response.Error!.Type.Should().Be("rate_limit_error");
        response.Error.Code.Should().Be("resource_exhausted");
        response.Error.RetryAfter.Should().Be(TimeSpan.FromSeconds(7));
        response.Error.Message.Should().StartWith("You exceeded your current quota");
    }

    [Fact]
    public async Task SendAsync_ResourceExhaustedWithLongRetryDelay_GoesBackAtOnceWithoutRetrying()
    {
        // docs/endpoints.md: "A 429 that asks for a wait longer than 10 s is not waited out: it goes back at once with its
        // retry-after". Gemini asks in the body (RetryInfo.retryDelay) and sends no Retry-After header, so the
        // retry policy, which reads headers only, must not retry this one: each retry only spends quota again.
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), "error-resource-exhausted-long.json", 429);

        var response = await _upstream.ChatAsync(Chat);

        response.StatusCode.Should().Be(429);
        response.Error!.Type.Should().Be("rate_limit_error");
        response.Error.RetryAfter.Should().Be(TimeSpan.FromSeconds(38));
        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("contents", 0, "parts", 0, "text").GetString().Should().Be("Hi");
    }

    [Fact]
    public async Task SendAsync_ResourceExhaustedWithRetryAfterHeaderOnly_UsesTheHeader()
    {
        _upstream.Server.Given(Request.Create().WithPath(GeminiUpstream.GeneratePath()).UsingPost())
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Content-Type", "application/json").WithHeader("Retry-After", "12")
                .WithBody(GeminiUpstream.TestData("error-resource-exhausted-plain.json")));

        var response = await _upstream.ChatAsync(Chat);

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("contents", 0, "parts", 0, "text").GetString().Should().Be("Hi");
        response.StatusCode.Should().Be(429);
        response.Error!.RetryAfter.Should().Be(TimeSpan.FromSeconds(12));
    }

    [Theory]
    [InlineData("error-internal.json", 500, "internal")]
    [InlineData("error-unavailable.json", 503, "unavailable")]
    public async Task SendAsync_GeminiServerError_IsRetriedTwiceThenReported(string file, int status, string code)
    {
        _upstream.PostReturnsFile(GeminiUpstream.GeneratePath(), file, status);

        var response = await _upstream.ChatAsync(Chat);

        _upstream.Server.LogEntries.Should().HaveCount(3, "the upstream client retries 5xx twice");
        foreach (var entry in _upstream.Server.LogEntries)
        {
            var sent = new SentRequest(entry.RequestMessage);
            sent.ShouldBeGeminiCall("POST", GeminiUpstream.GeneratePath());
            sent.Body.Path("contents", 0, "role").GetString().Should().Be("user");
        }

        response.StatusCode.Should().Be(status);
        response.Error!.Type.Should().Be("server_error");
        response.Error.Code.Should().Be(code);
        response.Error.RetryAfter.Should().BeNull();
    }

    [Fact]
    public async Task SendAsync_NonJsonErrorBody_IsWrappedWithItsStatus()
    {
        _upstream.PostReturns(GeminiUpstream.GeneratePath(), "<html><body><h1>404 Not Found</h1>That's an error.</body></html>", 404, "text/html");

        var response = await _upstream.ChatAsync(Chat);

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("contents", 0, "parts", 0, "text").GetString().Should().Be("Hi");
        response.StatusCode.Should().Be(404);
        response.Error!.Kind.Should().Be(GatewayErrorKind.UpstreamError);
        response.Error.Type.Should().Be("not_found_error");
        response.Error.Code.Should().Be("upstream_error");
        response.Error.Message.Should().Be("The upstream of provider instance 'gemini' answered 404 with a non-JSON body.");
    }

    [Fact]
    public async Task SendAsync_LongNonJsonErrorBody_IsNotInTheMessage()
    {
        var page = "<html>" + new string('x', 5000) + "</html>";
        _upstream.PostReturns(GeminiUpstream.GeneratePath(), page, 400, "text/html");

        var response = await _upstream.ChatAsync(Chat);

        _upstream.SingleRequest(GeminiUpstream.GeneratePath()).Body.Path("contents", 0, "parts", 0, "text").GetString().Should().Be("Hi");
        response.StatusCode.Should().Be(400);
        response.Error!.Type.Should().Be("invalid_request_error");
        response.Error.Message.Should().NotContain("xxx").And.NotContain("<html>");
    }

    [Theory]
    [InlineData(GatewayOperation.ChatCompletions, """{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hi"}]}""")]
    [InlineData(GatewayOperation.Embeddings, """{"model":"gemini-embedding-001","input":"x"}""")]
    [InlineData(GatewayOperation.AudioSpeech, """{"model":"gemini-2.5-flash-preview-tts","input":"x","voice":"Kore"}""")]
    public async Task SendAsync_WithoutApiKey_IsProviderNotConfiguredWithoutAnyCall(GatewayOperation operation, string json)
    {
        _upstream.Server.Given(Request.Create().UsingAnyMethod()).RespondWith(Response.Create().WithStatusCode(200).WithBody("{}"));
        var sut = _upstream.CreateProvider(apiKey: null);

        var response = await sut.SendAsync(new ProviderRequest(operation, Encoding.UTF8.GetBytes(json), "gemini-2.5-flash", stream: false));

        response.Error!.Kind.Should().Be(GatewayErrorKind.ProviderNotConfigured);
        response.StatusCode.Should().Be(503);
        response.Error.Code.Should().Be("provider_not_configured");
        response.Error.Message.Should().Contain("LlmGateway:Providers:gemini:ApiKey").And.Contain("GEMINI_API_KEY");
        _upstream.ShouldHaveNoCalls();
    }

    [Fact]
    public async Task SendAsync_UnreachableUpstream_Is502Unreachable()
    {
        var closedPort = ClosedPort();
        var sut = _upstream.CreateProvider(baseUrl: $"http://127.0.0.1:{closedPort}/v1beta");

        var response = await sut.SendAsync(new ProviderRequest(GatewayOperation.ChatCompletions, Encoding.UTF8.GetBytes(Chat), "gemini-2.5-flash", stream: false));

        response.StatusCode.Should().Be(502);
        response.Error!.Kind.Should().Be(GatewayErrorKind.UpstreamUnreachable);
        response.Error.Code.Should().Be("upstream_unreachable");
    }

    internal static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
