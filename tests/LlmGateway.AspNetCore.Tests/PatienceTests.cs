using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// Failover with patience, over real HTTP: a silent upstream is given up at the first-byte deadline and called once; a
/// short rate limit or a transient server error on the primary is waited out and retried once on it; a long one fails
/// over at once; a prompt too long for one model goes on to a model that may hold it.
/// </summary>
public sealed class PatienceTests
{
    private const string Chat = """{"model":"smart","messages":[{"role":"user","content":"Hi"}]}""";
    private const string StreamChat = """{"model":"smart","stream":true,"messages":[{"role":"user","content":"Hi"}]}""";
    private const string SecondaryAnswer = """
        {"id":"chatcmpl-second","object":"chat.completion","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"From the secondary."},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":3,"total_tokens":12}}
        """;

    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task SilentUpstreamOnAStream_IsGivenUpAtTheDefaultFirstByteTimeoutAndCalledOnce()
    {
        var time = new ArmingTimeProvider();
        var silentCalls = 0;
        var arrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var silent = await StubUpstream.StartAsync(async context =>
        {
            // Accepts the request and never sends its response headers.
            Interlocked.Increment(ref silentCalls);
            arrived.TrySetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default);
        });
        await using var healthy = await StubUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync($"data: {Sse.Chunk("c9", "from the second", "stop")}\n\ndata: [DONE]\n\n");
        });
        var logs = new CapturingLoggerProvider();
        using var host = new GatewayHost(openAIBaseUrl: null, Alias(silent.BaseUrl, healthy.BaseUrl), services =>
        {
            services.AddSingleton<TimeProvider>(time);
            services.AddSingleton<ILoggerProvider>(logs);
        });
        using var timeouts = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), "LlmGateway", "llmgateway.first_byte_timeouts");
        using var client = host.CreateClient();

        var call = client.PostAsync("/v1/chat/completions", Json(StreamChat));
        await arrived.Task.WaitAsync(s_guard);
        await time.WaitForArmedAsync(TimeSpan.FromSeconds(30)).WaitAsync(s_guard);
        time.Fake.Advance(TimeSpan.FromSeconds(31));
        using var response = await call.WaitAsync(s_guard);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("secondary");
        response.Headers.GetValues("x-llmgateway-attempts").Should().Equal("2");
        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        events.Should().Equal(Sse.Chunk("c9", "from the second", "stop"), "[DONE]");
        silentCalls.Should().Be(1, "a silent target is not retried: the request fails over at once");
        var timeout = timeouts.GetMeasurementSnapshot().Should().ContainSingle().Subject;
        timeout.Tags["llmgateway.provider"].Should().Be("primary");
        timeout.Tags["gen_ai.operation.name"].Should().Be("chat");
        logs.Messages.Should().Contain(m => m.Contains("Provider primary: no response headers and first event of a stream within 00:00:30 (LlmGateway:FirstTokenTimeout)", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RateLimitWithAShortRetryAfterOnThePrimary_IsWaitedOutAndRetriedOnceOnIt()
    {
        var primaryCalls = new ConcurrentQueue<long>();
        await using var primary = await StubUpstream.StartAsync(context =>
        {
            primaryCalls.Enqueue(Stopwatch.GetTimestamp());
            return primaryCalls.Count == 1
                ? Error(context, 429, retryAfter: "2")
                : Answer(context, Bodies.ChatCompletion);
        });
        var secondaryCalls = 0;
        await using var secondary = await StubUpstream.StartAsync(context =>
        {
            Interlocked.Increment(ref secondaryCalls);
            return Answer(context, SecondaryAnswer);
        });
        var logs = new CapturingLoggerProvider();
        using var host = new GatewayHost(openAIBaseUrl: null, Alias(primary.BaseUrl, secondary.BaseUrl), services => services.AddSingleton<ILoggerProvider>(logs));
        using var retries = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), "LlmGateway", "llmgateway.retries");
        using var client = host.CreateClient();

        using var response = await client.PostAsync("/v1/chat/completions", Json(Chat)).WaitAsync(s_guard);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be(Bodies.ChatCompletion, "the caller gets the primary's answer");
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("primary");
        response.Headers.GetValues("x-llmgateway-attempts").Should().Equal("1");
        secondaryCalls.Should().Be(0);
        var calls = primaryCalls.ToArray();
        calls.Should().HaveCount(2, "one wait, one retry on the primary");
        Stopwatch.GetElapsedTime(calls[0], calls[1]).Should().BeGreaterThanOrEqualTo(TimeSpan.FromSeconds(2), "the Retry-After was waited out");
        var retry = retries.GetMeasurementSnapshot().Should().ContainSingle().Subject;
        retry.Tags["llmgateway.retry.reason"].Should().Be("rate_limited");
        retry.Tags["llmgateway.retry.patient"].Should().Be(true);
        retry.Tags["llmgateway.provider"].Should().Be("primary");
        await EventuallyAsync(() => logs.Messages.Any(m => m.Contains(" answered 200 ", StringComparison.Ordinal)));
        logs.Messages.Should().Contain(m => m.Contains("provider primary, model gpt-4o, 1 attempt(s), retries 1,", StringComparison.Ordinal));
    }

    [Fact]
    public async Task RateLimitWithALongRetryAfterOnThePrimary_FailsOverAtOnce()
    {
        var primaryCalls = 0;
        await using var primary = await StubUpstream.StartAsync(context =>
        {
            Interlocked.Increment(ref primaryCalls);
            return Error(context, 429, retryAfter: "60");
        });
        await using var secondary = await StubUpstream.StartAsync(context => Answer(context, SecondaryAnswer));
        using var host = new GatewayHost(openAIBaseUrl: null, Alias(primary.BaseUrl, secondary.BaseUrl));
        using var retries = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), "LlmGateway", "llmgateway.retries");
        using var client = host.CreateClient();
        var started = Stopwatch.GetTimestamp();

        using var response = await client.PostAsync("/v1/chat/completions", Json(Chat)).WaitAsync(s_guard);

        Stopwatch.GetElapsedTime(started).Should().BeLessThan(TimeSpan.FromSeconds(3), "a wait longer than the patience is not sat out at all");
        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("secondary");
        (await response.Content.ReadAsStringAsync()).Should().Be(SecondaryAnswer);
        primaryCalls.Should().Be(1);
        retries.GetMeasurementSnapshot().Should().BeEmpty();
    }

    [Fact]
    public async Task ServerErrorOnceOnThePrimary_IsRetriedOnceOnIt()
    {
        var primaryCalls = 0;
        await using var primary = await StubUpstream.StartAsync(context =>
            Interlocked.Increment(ref primaryCalls) == 1 ? Error(context, 500, retryAfter: null) : Answer(context, Bodies.ChatCompletion));
        var secondaryCalls = 0;
        await using var secondary = await StubUpstream.StartAsync(context =>
        {
            Interlocked.Increment(ref secondaryCalls);
            return Answer(context, SecondaryAnswer);
        });
        using var host = new GatewayHost(openAIBaseUrl: null, Alias(primary.BaseUrl, secondary.BaseUrl));
        using var retries = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), "LlmGateway", "llmgateway.retries");
        using var client = host.CreateClient();

        using var response = await client.PostAsync("/v1/chat/completions", Json(Chat)).WaitAsync(s_guard);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        (await response.Content.ReadAsStringAsync()).Should().Be(Bodies.ChatCompletion);
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("primary");
        response.Headers.GetValues("x-llmgateway-attempts").Should().Equal("1");
        primaryCalls.Should().Be(2);
        secondaryCalls.Should().Be(0);
        retries.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags["llmgateway.retry.reason"].Should().Be("server_error");
    }

    [Theory]
    [InlineData("gpt-4o")] // a known window (128k)
    [InlineData("in-house-small")] // an unknown one
    public async Task PromptTooLongForThePrimary_GoesToAFallbackOfUnknownWindow(string primaryModel)
    {
        using var upstream = WireMockServer.Start();
        upstream.Given(Request.Create().WithPath("/primary/v1/chat/completions").UsingPost()).RespondWith(ContextLengthExceeded());
        upstream.Given(Request.Create().WithPath("/secondary/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        using var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:primary:Type"] = "OpenAI",
            ["LlmGateway:Providers:primary:BaseUrl"] = upstream.Urls[0] + "/primary/v1",
            ["LlmGateway:Providers:secondary:Type"] = "OpenAI",
            ["LlmGateway:Providers:secondary:BaseUrl"] = upstream.Urls[0] + "/secondary/v1",
            ["LlmGateway:Models:smart:Targets:0:Provider"] = "primary",
            ["LlmGateway:Models:smart:Targets:0:Model"] = primaryModel,
            ["LlmGateway:Models:smart:Targets:1:Provider"] = "secondary",
            ["LlmGateway:Models:smart:Targets:1:Model"] = "in-house-long",
        });
        using var client = host.CreateClient();

        using var response = await client.PostAsync("/v1/chat/completions", Json(Chat));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("secondary");
        response.Headers.GetValues("x-llmgateway-model").Should().Equal("in-house-long");
    }

    [Fact]
    public async Task PromptTooLongForAModel_IsNeverSentToThatModelAgainOnAnotherInstance()
    {
        using var upstream = WireMockServer.Start();
        upstream.Given(Request.Create().WithPath("/primary/v1/chat/completions").UsingPost()).RespondWith(ContextLengthExceeded());
        upstream.Given(Request.Create().WithPath("/secondary/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        using var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:primary:Type"] = "OpenAI",
            ["LlmGateway:Providers:primary:BaseUrl"] = upstream.Urls[0] + "/primary/v1",
            ["LlmGateway:Providers:secondary:Type"] = "OpenAI",
            ["LlmGateway:Providers:secondary:BaseUrl"] = upstream.Urls[0] + "/secondary/v1",
            ["LlmGateway:Models:smart:Targets:0:Provider"] = "primary",
            ["LlmGateway:Models:smart:Targets:0:Model"] = "in-house-small",
            ["LlmGateway:Models:smart:Targets:1:Provider"] = "secondary",
            ["LlmGateway:Models:smart:Targets:1:Model"] = "in-house-small",
            ["LlmGateway:Models:smart:Targets:2:Provider"] = "secondary",
            ["LlmGateway:Models:smart:Targets:2:Model"] = "in-house-long",
        });
        using var client = host.CreateClient();

        using var response = await client.PostAsync("/v1/chat/completions", Json(Chat));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("x-llmgateway-model").Should().Equal("in-house-long");
        upstream.LogEntries.Where(e => e.RequestMessage.Path.StartsWith("/secondary", StringComparison.Ordinal))
            .Should().ContainSingle("the model that overflowed is skipped on the other instance")
            .Which.RequestMessage.Body.Should().Contain("\"model\":\"in-house-long\"");
    }

    private static Dictionary<string, string?> Alias(string primary, string secondary) => new()
    {
        ["LlmGateway:Providers:primary:Type"] = "OpenAI",
        ["LlmGateway:Providers:primary:BaseUrl"] = primary,
        ["LlmGateway:Providers:secondary:Type"] = "OpenAI",
        ["LlmGateway:Providers:secondary:BaseUrl"] = secondary,
        ["LlmGateway:Models:smart:Targets:0:Provider"] = "primary",
        ["LlmGateway:Models:smart:Targets:0:Model"] = "gpt-4o",
        ["LlmGateway:Models:smart:Targets:1:Provider"] = "secondary",
        ["LlmGateway:Models:smart:Targets:1:Model"] = "gpt-4o-mini",

        // Failover alone: a hedge (on by default for an alias of two targets, after 10 s without history) would race the
        // waits these tests move the clock through.
        ["LlmGateway:Models:smart:Hedging:Enabled"] = "false",
    };

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static IResponseBuilder ContextLengthExceeded() => Response.Create().WithStatusCode(400).WithHeader("Content-Type", "application/json").WithBody(
        """{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}""");

    private static Task Answer(HttpContext context, string body)
    {
        context.Response.ContentType = "application/json";
        return context.Response.WriteAsync(body);
    }

    private static Task Error(HttpContext context, int status, string? retryAfter)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (retryAfter is not null)
        {
            context.Response.Headers.RetryAfter = retryAfter;
        }

        return context.Response.WriteAsync("""{"error":{"message":"busy","type":"server_error","param":null,"code":null}}""");
    }

    /// <summary>The request's log line is written when its answer has gone out, which may be just after the client
    /// has it.</summary>
    private static async Task EventuallyAsync(Func<bool> condition)
    {
        var deadline = Stopwatch.GetTimestamp();
        while (!condition())
        {
            Stopwatch.GetElapsedTime(deadline).Should().BeLessThan(TimeSpan.FromSeconds(10), "the request's line should be written");
            await Task.Delay(10);
        }
    }
}
