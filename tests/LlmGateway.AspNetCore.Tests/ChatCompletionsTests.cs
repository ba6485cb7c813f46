using System.Net;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

public sealed class ChatCompletionsTests : IDisposable
{
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly GatewayHost _host;
    private readonly HttpClient _client;

    public ChatCompletionsTests()
    {
        _host = new GatewayHost(_upstream.Urls[0] + "/v1");
        _client = _host.CreateClient();
    }

    public void Dispose()
    {
        _client.Dispose();
        _host.Dispose();
        _upstream.Stop();
        _upstream.Dispose();
    }

    [Fact]
    public async Task NonStreamingRequestIsForwardedByteForByteAndAnsweredUnchanged()
    {
        GivenChatCompletion(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
            .WithHeader("x-request-id", "upstream-req-1").WithBody(Bodies.ChatCompletion));

        using var response = await PostChatAsync(Bodies.ChatRequest);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        (await response.Content.ReadAsStringAsync()).Should().Be(Bodies.ChatCompletion);
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("openai");
        response.Headers.GetValues("x-upstream-request-id").Should().Equal("upstream-req-1");
        response.Headers.GetValues("x-request-id").Single().Should().NotBeNullOrWhiteSpace();

        var sent = _upstream.LogEntries.Should().ContainSingle().Subject.RequestMessage;
        sent.Path.Should().Be("/v1/chat/completions");
        sent.Headers!["Authorization"].Should().Equal($"Bearer {TestKeys.Upstream}");
        sent.Body.Should().Be(Bodies.ChatRequest, "the body goes upstream unchanged, unknown fields included");
    }

    [Fact]
    public async Task MultimodalPartsAndAudioOutputReachTheUpstreamUntouched()
    {
        GivenChatCompletion(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        const string body = """
            {"model":"gpt-4o-audio-preview","modalities":["text","audio"],"audio":{"voice":"alloy","format":"wav"},"messages":[{"role":"user","content":[
              {"type":"text","text":"What is in these?"},
              {"type":"image_url","image_url":{"url":"https://example.com/cat.png","detail":"high"}},
              {"type":"input_audio","input_audio":{"data":"UklGRg==","format":"wav"}},
              {"type":"file","file":{"filename":"a.pdf","file_data":"data:application/pdf;base64,JVBERi0="}}]}]}
            """;

        using var response = await PostChatAsync(body);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        _upstream.LogEntries.Single().RequestMessage.Body.Should().Be(body);
    }

    [Fact]
    public async Task InstancePrefixIsStrippedAndOnlyTheModelValueChanges()
    {
        GivenChatCompletion(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        var body = Bodies.ChatRequest.Replace("\"model\":\"gpt-4o-mini\"", "\"model\":\"openai/my-finetune:v1\"", StringComparison.Ordinal);

        using var response = await PostChatAsync(body);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var sent = _upstream.LogEntries.Should().ContainSingle().Subject.RequestMessage.Body;
        sent.Should().Be(Bodies.ChatRequest.Replace("\"model\":\"gpt-4o-mini\"", "\"model\":\"my-finetune:v1\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ClientRequestIdIsEchoedAndSentUpstream()
    {
        GivenChatCompletion(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(Bodies.ChatRequest) };
        request.Headers.Add("x-request-id", "client-id-42");

        using var response = await _client.SendAsync(request);

        response.Headers.GetValues("x-request-id").Should().Equal("client-id-42");
        _upstream.LogEntries.Single().RequestMessage.Headers!["X-Client-Request-Id"].Should().Equal("client-id-42");
    }

    [Fact]
    public async Task InsaneClientRequestIdIsReplaced()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json("{}") };
        request.Headers.TryAddWithoutValidation("x-request-id", new string('x', 200));

        using var response = await _client.SendAsync(request);

        var id = response.Headers.GetValues("x-request-id").Single();
        id.Should().StartWith("req_").And.HaveLength(36);
    }

    [Fact]
    public async Task UpstreamClientErrorPassesThroughWithItsStatusAndBody()
    {
        GivenChatCompletion(Response.Create().WithStatusCode(400).WithHeader("Content-Type", "application/json").WithBody(Bodies.UpstreamError400));

        using var response = await PostChatAsync(Bodies.ChatRequest);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Be(Bodies.UpstreamError400);
        response.Headers.Contains("x-request-id").Should().BeTrue();
    }

    [Fact]
    public async Task UpstreamRateLimitWithALongWaitComesBackAtOnceWithItsRetryAfter()
    {
        GivenChatCompletion(Response.Create().WithStatusCode(429).WithHeader("Content-Type", "application/json").WithHeader("Retry-After", "30")
            .WithBody("""{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}"""));

        using var response = await PostChatAsync(Bodies.ChatRequest);

        response.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(30));
        _upstream.LogEntries.Should().HaveCount(1, "a wait longer than the gateway's own limit is the client's to take");
    }

    [Fact]
    public async Task UpstreamRateLimitResetHeaderBecomesRetryAfter()
    {
        GivenChatCompletion(Response.Create().WithStatusCode(429).WithHeader("Content-Type", "application/json")
            .WithHeader("x-ratelimit-reset-requests", "1m30s").WithHeader("x-ratelimit-reset-tokens", "12s")
            .WithBody("""{"error":{"message":"Rate limit reached","type":"tokens","param":null,"code":"rate_limit_exceeded"}}"""));

        using var response = await PostChatAsync(Bodies.ChatRequest);

        response.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        response.Headers.RetryAfter!.Delta.Should().Be(TimeSpan.FromSeconds(90));
        _upstream.LogEntries.Should().HaveCount(1);
    }

    [Fact]
    public async Task UpstreamRateLimitWithAShortWaitIsRetriedOnTheSameUpstream()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).InScenario("limited").WillSetStateTo("free")
            .RespondWith(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "0").WithBody("""{"error":{"message":"slow down","type":"requests","param":null,"code":null}}"""));
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).InScenario("limited").WhenStateIs("free")
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));

        using var response = await PostChatAsync(Bodies.ChatRequest);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        _upstream.LogEntries.Should().HaveCount(2);
    }

    [Fact]
    public async Task UpstreamErrorThatIsNotAnEnvelopeIsWrapped()
    {
        GivenChatCompletion(Response.Create().WithStatusCode(404).WithHeader("Content-Type", "text/html").WithBody("<html>nope</html>"));

        using var response = await PostChatAsync(Bodies.ChatRequest);

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        var error = await ReadErrorAsync(response);
        error.GetProperty("message").GetString().Should().Be("The upstream of provider instance 'openai' answered 404 with a non-JSON body.");
        error.GetProperty("code").GetString().Should().Be("upstream_error");
    }

    [Fact]
    public async Task UpstreamServerErrorIsRetriedOnTheSameUpstream()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).InScenario("flaky").WillSetStateTo("recovered")
            .RespondWith(Response.Create().WithStatusCode(503).WithBody("""{"error":{"message":"overloaded","type":"server_error","param":null,"code":null}}"""));
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).InScenario("flaky").WhenStateIs("recovered")
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));

        using var response = await PostChatAsync(Bodies.ChatRequest);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        _upstream.LogEntries.Should().HaveCount(2);
        _upstream.LogEntries.Select(e => e.RequestMessage.Body).Should().AllBe(Bodies.ChatRequest, "a retry resends the same body");
    }

    [Fact]
    public async Task UpstreamGarbageIsABadGateway()
    {
        GivenChatCompletion(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody("this is not json"));

        using var response = await PostChatAsync(Bodies.ChatRequest);

        response.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        (await ReadErrorAsync(response)).GetProperty("code").GetString().Should().Be("upstream_invalid_response");
    }

    [Fact]
    public async Task UnreachableUpstreamIsABadGateway()
    {
        var closedPort = WireMockServer.Start();
        var url = closedPort.Urls[0] + "/v1";
        closedPort.Stop();
        closedPort.Dispose();
        using var host = new GatewayHost(url);
        using var client = host.CreateClient();

        using var response = await client.PostAsync("/v1/chat/completions", Json(Bodies.ChatRequest));

        response.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        var error = await ReadErrorAsync(response);
        error.GetProperty("code").GetString().Should().Be("upstream_unreachable");
        error.GetProperty("message").GetString().Should().NotContain("   at ", "no stack trace leaves the gateway");
    }

    [Fact]
    public async Task StreamingRequestRelaysEveryEventAndEndsWithDone()
    {
        var sse = new StringBuilder()
            .Append(": keep-alive comment\n\n")
            .Append("data: ").Append(Sse.Chunk("c1", "Hel")).Append("\n\n")
            .Append("data: ").Append(Sse.Chunk("c1", "lo")).Append("\n\n")
            .Append("data: ").Append(Sse.Chunk("c1", "", "stop")).Append("\n\n")
            .Append("data: [DONE]\n\n")
            .ToString();
        GivenChatCompletion(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));
        var body = Bodies.ChatRequest.Replace("\"temperature\"", "\"stream\":true,\"temperature\"", StringComparison.Ordinal);

        using var response = await PostChatAsync(body);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("openai");
        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync());
        events.Should().Equal(Sse.Chunk("c1", "Hel"), Sse.Chunk("c1", "lo"), Sse.Chunk("c1", "", "stop"), "[DONE]");
        _upstream.LogEntries.Single().RequestMessage.Headers!["Accept"].Should().Contain("text/event-stream");
    }

    [Fact]
    public async Task StreamCutBeforeDoneEndsWithAnErrorEventAndNoDone()
    {
        var sse = $"data: {Sse.Chunk("c1", "Hel")}\n\ndata: {Sse.Chunk("c1", "lo")}\n\n";
        GivenChatCompletion(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));

        using var response = await PostChatAsync("""{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}""");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync());
        events.Should().HaveCount(3);
        events.Should().NotContain("[DONE]");
        using var last = JsonDocument.Parse(events[^1]);
        last.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("stream_interrupted");
    }

    [Fact]
    public async Task StreamThatFinishedWithoutDoneIsCompletedCleanly()
    {
        // Some OpenAI-compatible servers close the stream after the finish reason and usage, without [DONE].
        var sse = $"data: {Sse.Chunk("c1", "Hi")}\n\ndata: {Sse.Chunk("c1", "", "stop")}\n\n";
        GivenChatCompletion(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));

        using var response = await PostChatAsync("""{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}""");

        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync());
        events.Should().Equal(Sse.Chunk("c1", "Hi"), Sse.Chunk("c1", "", "stop"), "[DONE]");
    }

    [Fact]
    public async Task MalformedEventMidStreamEndsWithAnErrorEventAndNoDone()
    {
        var sse = $"data: {Sse.Chunk("c1", "Hi")}\n\ndata: {{\"choices\":[{{\"delta\n\ndata: {Sse.Chunk("c1", "", "stop")}\n\ndata: [DONE]\n\n";
        GivenChatCompletion(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));

        using var response = await PostChatAsync("""{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}""");

        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync());
        events.Should().HaveCount(2).And.NotContain("[DONE]");
        using var error = JsonDocument.Parse(events[1]);
        error.RootElement.GetProperty("error").GetProperty("message").GetString().Should().Contain("malformed");
    }

    [Fact]
    public async Task UpstreamErrorEventIsRelayedOnceWithoutDone()
    {
        const string errorEvent = """{"error":{"message":"The server had an error","type":"server_error","param":null,"code":null}}""";
        var sse = $"data: {Sse.Chunk("c1", "Hel")}\n\ndata: {errorEvent}\n\n";
        GivenChatCompletion(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));

        using var response = await PostChatAsync("""{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}""");

        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync());
        events.Should().Equal(Sse.Chunk("c1", "Hel"), errorEvent);
    }

    [Fact]
    public async Task StreamThatEndsBeforeItsFirstEventIsAnErrorStatus()
    {
        GivenChatCompletion(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(": just a comment\n\n"));

        using var response = await PostChatAsync("""{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}""");

        response.StatusCode.Should().Be(HttpStatusCode.BadGateway, "nothing was sent yet, so the failure can still be a status");
        (await ReadErrorAsync(response)).GetProperty("code").GetString().Should().Be("stream_interrupted");
    }

    [Fact]
    public async Task UnknownModelIsModelNotFound()
    {
        using var response = await PostChatAsync("""{"model":"no-such-model","messages":[{"role":"user","content":"Hi"}]}""");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        var error = await ReadErrorAsync(response);
        error.GetProperty("code").GetString().Should().Be("model_not_found");
        error.GetProperty("param").GetString().Should().Be("model");
    }

    [Fact]
    public async Task BareModelListedByTheUpstreamIsRoutedThere()
    {
        _upstream.Given(Request.Create().WithPath("/v1/models").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.Models));
        GivenChatCompletion(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));

        using var response = await PostChatAsync("""{"model":"llama3.2","messages":[{"role":"user","content":"Hi"}]}""");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("openai");
    }

    private void GivenChatCompletion(IResponseBuilder response) =>
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost()).RespondWith(response);

    private Task<HttpResponseMessage> PostChatAsync(string body) => _client.PostAsync("/v1/chat/completions", Json(body));

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    internal static async Task<JsonElement> ReadErrorAsync(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = document.RootElement.GetProperty("error");
        error.GetProperty("message").ValueKind.Should().Be(JsonValueKind.String);
        error.GetProperty("type").ValueKind.Should().Be(JsonValueKind.String);
        error.TryGetProperty("param", out _).Should().BeTrue();
        error.TryGetProperty("code", out _).Should().BeTrue();
        return error.Clone();
    }
}
