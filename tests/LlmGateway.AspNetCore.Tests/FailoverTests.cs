using System.Net;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// An alias over two deployments whose first is broken in one way or another: the client gets the whole answer from
/// the second, or a clear error, and each target gets the attempts it should.
/// </summary>
public sealed class FailoverTests : IDisposable
{
    private const string Chat = """{"model":"smart","messages":[{"role":"user","content":"Hi"}]}""";
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly GatewayHost _host;
    private readonly HttpClient _client;

    public FailoverTests()
    {
        _host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:primary:Type"] = "OpenAI",
            ["LlmGateway:Providers:primary:BaseUrl"] = _upstream.Urls[0] + "/primary/v1",
            ["LlmGateway:Providers:secondary:Type"] = "OpenAI",
            ["LlmGateway:Providers:secondary:BaseUrl"] = _upstream.Urls[0] + "/secondary/v1",
            ["LlmGateway:Models:smart:Strategy"] = "Fallback",
            ["LlmGateway:Models:smart:Targets:0:Provider"] = "primary",
            ["LlmGateway:Models:smart:Targets:0:Model"] = "gpt-4o",
            ["LlmGateway:Models:smart:Targets:1:Provider"] = "secondary",
            ["LlmGateway:Models:smart:Targets:1:Model"] = "gpt-4o-mini",
        });
        _client = _host.CreateClient();
    }

    public void Dispose()
    {
        _client.Dispose();
        _host.Dispose();
        _upstream.Dispose();
    }

    [Theory]
    [InlineData(500)]
    [InlineData(503)]
    [InlineData(429)]
    [InlineData(408)]
    public async Task RetryableFailureOfThePrimaryIsAnsweredByTheSecondary(int status)
    {
        Primary(Response.Create().WithStatusCode(status).WithHeader("Retry-After", "30").WithBody("""{"error":{"message":"down","type":"server_error","param":null,"code":null}}"""));
        Secondary(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));

        using var response = await PostAsync(Chat);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be(Bodies.ChatCompletion);
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("secondary");
        response.Headers.GetValues("x-llmgateway-model").Should().Equal("gpt-4o-mini");
        response.Headers.GetValues("x-llmgateway-attempts").Should().Equal("2");
        using var sent = JsonDocument.Parse(_upstream.LogEntries.Single(e => e.RequestMessage.Path.StartsWith("/secondary", StringComparison.Ordinal)).RequestMessage.Body!);
        sent.RootElement.GetProperty("model").GetString().Should().Be("gpt-4o-mini");
    }

    [Fact]
    public async Task ClientErrorOfThePrimaryIsTheAnswer()
    {
        Primary(Response.Create().WithStatusCode(400).WithHeader("Content-Type", "application/json").WithBody(Bodies.UpstreamError400));
        Secondary(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));

        using var response = await PostAsync(Chat);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await response.Content.ReadAsStringAsync()).Should().Be(Bodies.UpstreamError400);
        _upstream.LogEntries.Should().OnlyContain(e => e.RequestMessage.Path.StartsWith("/primary", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PrimaryThatAskedToWaitIsSkippedUntilItsRetryAfterHasPassed()
    {
        Primary(Response.Create().WithStatusCode(429).WithHeader("Retry-After", "60").WithBody("""{"error":{"message":"slow down","type":"requests","param":null,"code":null}}"""));
        Secondary(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));

        using var first = await PostAsync(Chat);
        using var second = await PostAsync(Chat);

        first.StatusCode.Should().Be(HttpStatusCode.OK);
        second.StatusCode.Should().Be(HttpStatusCode.OK);
        second.Headers.GetValues("x-llmgateway-attempts").Should().ContainSingle().Which.Should().Be("1", "the primary is cooling down");
        _upstream.LogEntries.Count(e => e.RequestMessage.Path.StartsWith("/primary", StringComparison.Ordinal)).Should().Be(1);
    }

    [Fact]
    public async Task StreamThatBreaksBeforeItsFirstEventFailsOverAndTheClientSeesOneWholeStream()
    {
        Primary(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(": nothing but a comment\n\n"));
        Secondary(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream")
            .WithBody($"data: {Sse.Chunk("c2", "Hello")}\n\ndata: {Sse.Chunk("c2", "", "stop")}\n\ndata: [DONE]\n\n"));

        using var response = await PostAsync("""{"model":"smart","stream":true,"messages":[{"role":"user","content":"Hi"}]}""");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync());
        events.Should().Equal(Sse.Chunk("c2", "Hello"), Sse.Chunk("c2", "", "stop"), "[DONE]");
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("secondary");
    }

    [Fact]
    public async Task EveryTargetFailingIsTheLastErrorAfterEachWasTriedOnce()
    {
        Primary(Response.Create().WithStatusCode(503).WithBody("""{"error":{"message":"primary down","type":"server_error","param":null,"code":null}}"""));
        Secondary(Response.Create().WithStatusCode(502).WithBody("""{"error":{"message":"secondary down","type":"server_error","param":null,"code":null}}"""));

        using var response = await PostAsync(Chat);

        response.StatusCode.Should().Be(HttpStatusCode.BadGateway);
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("message").GetString().Should().Be("secondary down");
        response.Headers.GetValues("x-llmgateway-attempts").Should().Equal("2");
    }

    [Fact]
    public async Task RequestFallbacksAreTriedAfterTheModelAndRemovedFromTheBody()
    {
        _upstream.Given(Request.Create().WithPath("/primary/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(500).WithBody("""{"error":{"message":"down","type":"server_error","param":null,"code":null}}"""));
        Secondary(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));

        using var response = await PostAsync("""{"model":"primary/gpt-4o","fallbacks":["secondary/gpt-4o-mini"],"messages":[{"role":"user","content":"Hi"}],"x_keep":{"a":[1,2]}}""");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var sent = _upstream.LogEntries.Single(e => e.RequestMessage.Path.StartsWith("/secondary", StringComparison.Ordinal)).RequestMessage.Body;
        sent.Should().Be("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"x_keep":{"a":[1,2]}}""");
    }

    [Fact]
    public async Task UnknownFallbackIsA404NamingIt()
    {
        using var response = await PostAsync("""{"model":"smart","fallbacks":["no-such-model"],"messages":[{"role":"user","content":"Hi"}]}""");

        response.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("param").GetString().Should().Be("fallbacks[0]");
        _upstream.LogEntries.Should().NotContain(e => e.RequestMessage.Method == "POST");
    }

    [Fact]
    public async Task PinnedInstanceGetsTheRequestWithoutFailover()
    {
        Primary(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        Secondary(Response.Create().WithStatusCode(500).WithBody("""{"error":{"message":"down","type":"server_error","param":null,"code":null}}"""));
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(Chat, Encoding.UTF8, "application/json") };
        request.Headers.Add("x-llmgateway-provider", "secondary");

        using var response = await _client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.InternalServerError);
        _upstream.LogEntries.Should().OnlyContain(e => e.RequestMessage.Path.StartsWith("/secondary", StringComparison.Ordinal));
    }

    [Fact]
    public async Task PromptTooLongGoesToATargetWithALargerContextWindow()
    {
        // gpt-4o (128k) cannot take the prompt; gpt-4o-mini (also 128k) cannot either; gpt-4.1 (1M) can.
        using var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:primary:Type"] = "OpenAI",
            ["LlmGateway:Providers:primary:BaseUrl"] = _upstream.Urls[0] + "/primary/v1",
            ["LlmGateway:Providers:secondary:Type"] = "OpenAI",
            ["LlmGateway:Providers:secondary:BaseUrl"] = _upstream.Urls[0] + "/secondary/v1",
            ["LlmGateway:MaxAttempts"] = "3",
            ["LlmGateway:Models:long:Targets:0:Provider"] = "primary",
            ["LlmGateway:Models:long:Targets:0:Model"] = "gpt-4o",
            ["LlmGateway:Models:long:Targets:1:Provider"] = "secondary",
            ["LlmGateway:Models:long:Targets:1:Model"] = "gpt-4o-mini",
            ["LlmGateway:Models:long:Targets:2:Provider"] = "secondary",
            ["LlmGateway:Models:long:Targets:2:Model"] = "gpt-4.1",
        });
        using var client = host.CreateClient();
        Primary(Response.Create().WithStatusCode(400).WithHeader("Content-Type", "application/json").WithBody(
            """{"error":{"message":"This model's maximum context length is 128000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"""));
        Secondary(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));

        using var response = await client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"long","messages":[{"role":"user","content":"…"}]}""", Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("x-llmgateway-model").Should().Equal("gpt-4.1");
        using var sent = JsonDocument.Parse(_upstream.LogEntries.Single(e => e.RequestMessage.Path.StartsWith("/secondary", StringComparison.Ordinal)).RequestMessage.Body!);
        sent.RootElement.GetProperty("model").GetString().Should().Be("gpt-4.1", "gpt-4o-mini's window is no larger, so it is skipped");
    }

    [Fact]
    public async Task PromptTooLongWithNoLargerWindowIsTheAnswer()
    {
        Primary(Response.Create().WithStatusCode(400).WithHeader("Content-Type", "application/json").WithBody(
            """{"error":{"message":"This model's maximum context length is 128000 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}"""));
        Secondary(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));

        using var response = await PostAsync(Chat);

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        _upstream.LogEntries.Should().OnlyContain(e => e.RequestMessage.Path.StartsWith("/primary", StringComparison.Ordinal));
    }

    [Fact]
    public async Task DownPrimaryIsTakenOutOfRotationAndReturnsOnceItRecovers()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:primary:Type"] = "OpenAI",
            ["LlmGateway:Providers:primary:BaseUrl"] = _upstream.Urls[0] + "/primary/v1",
            ["LlmGateway:Providers:secondary:Type"] = "OpenAI",
            ["LlmGateway:Providers:secondary:BaseUrl"] = _upstream.Urls[0] + "/secondary/v1",
            ["LlmGateway:Circuit:FailureThreshold"] = "2",
            ["LlmGateway:Circuit:BreakDuration"] = "00:00:30",
            ["LlmGateway:Resilience:Patience"] = "00:00:00", // each failure fails over at once: no retry wait on the fake clock
            ["LlmGateway:Models:smart:Targets:0:Provider"] = "primary",
            ["LlmGateway:Models:smart:Targets:0:Model"] = "gpt-4o",
            ["LlmGateway:Models:smart:Targets:1:Provider"] = "secondary",
            ["LlmGateway:Models:smart:Targets:1:Model"] = "gpt-4o-mini",
        }, services => services.AddSingleton<TimeProvider>(time));
        using var client = host.CreateClient();
        Primary(Response.Create().WithStatusCode(500).WithBody("""{"error":{"message":"down","type":"server_error","param":null,"code":null}}"""));
        Secondary(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        async Task<string> ServedBy()
        {
            using var response = await client.PostAsync("/v1/chat/completions", new StringContent(Chat, Encoding.UTF8, "application/json"));
            response.StatusCode.Should().Be(HttpStatusCode.OK);
            return response.Headers.GetValues("x-llmgateway-provider").Single();
        }

        int PrimaryCalls() => _upstream.LogEntries.Count(e => e.RequestMessage.Path.StartsWith("/primary", StringComparison.Ordinal));

        (await ServedBy()).Should().Be("secondary");
        (await ServedBy()).Should().Be("secondary");
        PrimaryCalls().Should().Be(2);

        (await ServedBy()).Should().Be("secondary");
        PrimaryCalls().Should().Be(2, "two failures in a row opened the primary's circuit");

        _upstream.ResetMappings();
        Primary(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        Secondary(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        (await ServedBy()).Should().Be("secondary", "the circuit is still open");
        time.Advance(TimeSpan.FromSeconds(31));

        (await ServedBy()).Should().Be("primary", "after the pause one probe goes through, and it succeeds");
        (await ServedBy()).Should().Be("primary", "the circuit is closed again");
    }

    [Fact]
    public async Task HealthShowsEachTargetsCircuit()
    {
        Primary(Response.Create().WithStatusCode(503).WithHeader("Retry-After", "120").WithBody("""{"error":{"message":"down","type":"server_error","param":null,"code":null}}"""));
        Secondary(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        (await PostAsync(Chat)).Dispose();

        using var response = await _client.GetAsync("/health");

        response.StatusCode.Should().Be(HttpStatusCode.OK, "an open circuit degrades the gateway; it does not take it down");
        using var health = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        health.RootElement.GetProperty("status").GetString().Should().Be("Degraded");
        var targets = health.RootElement.GetProperty("checks").GetProperty("llmgateway-targets");
        targets.GetProperty("data").GetProperty("primary/gpt-4o").GetString().Should().StartWith("open until");
        targets.GetProperty("data").GetProperty("secondary/gpt-4o-mini").GetString().Should().Be("closed");
    }

    [Fact]
    public async Task RequestNeverOutlastsItsBudget()
    {
        var time = new ArmingTimeProvider();
        await using var silent = await StubUpstream.StartAsync(static context => Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default));
        using var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:RequestBudget"] = "00:00:10",
            ["LlmGateway:Providers:primary:Type"] = "OpenAI",
            ["LlmGateway:Providers:primary:BaseUrl"] = silent.BaseUrl,
            ["LlmGateway:Providers:secondary:Type"] = "OpenAI",
            ["LlmGateway:Providers:secondary:BaseUrl"] = _upstream.Urls[0] + "/secondary/v1",
            ["LlmGateway:Models:smart:Targets:0:Provider"] = "primary",
            ["LlmGateway:Models:smart:Targets:1:Provider"] = "secondary",
        }, services => services.AddSingleton<TimeProvider>(time));
        using var client = host.CreateClient();
        Secondary(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));

        var call = client.PostAsync("/v1/chat/completions", new StringContent(Chat, Encoding.UTF8, "application/json"));
        await time.WaitForArmedAsync(TimeSpan.FromSeconds(10)).WaitAsync(TimeSpan.FromSeconds(20));
        time.Fake.Advance(TimeSpan.FromSeconds(11));
        using var response = await call.WaitAsync(TimeSpan.FromSeconds(20));

        response.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("message").GetString().Should().Contain("LlmGateway:RequestBudget");
        _upstream.LogEntries.Should().BeEmpty("no attempt starts once the budget is spent");
    }

    [Fact]
    public async Task AliasFallsBackFromOpenAIToGeminiThroughTheTranslation()
    {
        using var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:primary:Type"] = "OpenAI",
            ["LlmGateway:Providers:primary:BaseUrl"] = _upstream.Urls[0] + "/primary/v1",
            ["LlmGateway:Providers:gemini:BaseUrl"] = _upstream.Urls[0] + "/v1beta",
            ["LlmGateway:Providers:gemini:ApiKey"] = "g-key",
            ["LlmGateway:Models:smart:Targets:0:Provider"] = "primary",
            ["LlmGateway:Models:smart:Targets:0:Model"] = "gpt-4o",
            ["LlmGateway:Models:smart:Targets:1:Provider"] = "gemini",
            ["LlmGateway:Models:smart:Targets:1:Model"] = "gemini-2.5-flash",
        });
        using var client = host.CreateClient();
        Primary(Response.Create().WithStatusCode(503).WithBody("""{"error":{"message":"down","type":"server_error","param":null,"code":null}}"""));
        _upstream.Given(Request.Create().WithPath("/v1beta/models/gemini-2.5-flash:generateContent").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(
                """{"candidates":[{"content":{"role":"model","parts":[{"text":"From Gemini."}]},"finishReason":"STOP","index":0}],"usageMetadata":{"promptTokenCount":3,"candidatesTokenCount":2,"totalTokenCount":5},"modelVersion":"gemini-2.5-flash"}"""));

        using var response = await client.PostAsync("/v1/chat/completions", new StringContent(Chat, Encoding.UTF8, "application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var completion = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        completion.RootElement.GetProperty("model").GetString().Should().Be("gemini-2.5-flash", "the answer names the model that produced it");
        completion.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().Should().Be("From Gemini.");
        completion.RootElement.GetProperty("usage").GetProperty("total_tokens").GetInt32().Should().Be(5, "usage is the answering target's");
    }

    [Fact]
    public async Task AliasIsListedAmongTheModels()
    {
        using var response = await _client.GetAsync("/v1/models/smart");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        using var model = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        model.RootElement.GetProperty("owned_by").GetString().Should().Be("llmgateway");
    }

    private void Primary(IResponseBuilder response) =>
        _upstream.Given(Request.Create().WithPath("/primary/v1/chat/completions").UsingPost()).RespondWith(response);

    private void Secondary(IResponseBuilder response) =>
        _upstream.Given(Request.Create().WithPath("/secondary/v1/chat/completions").UsingPost()).RespondWith(response);

    private Task<HttpResponseMessage> PostAsync(string body) => _client.PostAsync("/v1/chat/completions", new StringContent(body, Encoding.UTF8, "application/json"));
}
