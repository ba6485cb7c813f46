using System.Diagnostics.Metrics;
using System.Net;
using System.Text;
using System.Threading.Channels;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// Hedged first tokens over real HTTP: an alias of two Kestrel upstreams whose streams hold their first event until the
/// test lets them go, and a clock the test moves. Nothing sleeps: each step waits for a signal (a request arrived, a
/// timer was armed, a connection was aborted), and a generous timeout only turns a hang into a failure.
/// </summary>
public sealed class HedgingTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(20);
    private const string StreamRequest = """{"model":"smart","stream":true,"messages":[{"role":"user","content":"Hi"}]}""";
    private const string UsageChunk = """{"id":"u1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}""";

    [Fact]
    public async Task SlowFirstToken_HedgeAnswers_PrimaryIsCancelledAndOnlyTheHedgeIsBilled()
    {
        var time = new ArmingTimeProvider();
        await using var primary = await Upstream.StartAsync("from primary", holds: true);
        await using var fallback = await Upstream.StartAsync("from fallback", holds: false);
        using var host = Host(primary, fallback, time);
        var address = host.StartKestrel();
        var factory = host.Services.GetRequiredService<IMeterFactory>();
        using var hedges = new MetricCollector<long>(factory, "LlmGateway", "llmgateway.hedges");
        using var hedgingTokens = new MetricCollector<long>(factory, "LlmGateway", "llmgateway.hedging.tokens");
        using var client = new HttpClient { BaseAddress = address };

        var call = PostStreamAsync(client);
        await primary.NextAsync();
        await time.WaitForArmedAsync(TimeSpan.FromSeconds(10)).WaitAsync(s_guard); // no first token measured yet: 10 s
        time.Fake.Advance(TimeSpan.FromSeconds(10));
        using var response = await call.WaitAsync(s_guard);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("secondary");
        response.Headers.GetValues("x-llmgateway-attempts").Should().Equal(new[] { "2" }, "both attempts started count");
        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        events.Should().Equal(Sse.Chunk("c1", "from fallback", "stop"), "[DONE]");
        await primary.Aborted.Task.WaitAsync(s_guard); // the primary's upstream request was cancelled, its connection closed
        fallback.Calls.Should().Be(1);

        var usage = await host.Services.GetRequiredService<IUsageStore>().ListAsync(null, UsagePeriod.Day, time.GetUtcNow(), default);
        usage.Should().ContainSingle("only the answer is billed").Which.Should().BeEquivalentTo(new
        {
            Provider = "secondary",
            Requests = 1L,
            PromptTokens = 7L,
            CompletionTokens = 2L,
        });
        var hedge = hedges.GetMeasurementSnapshot().Should().ContainSingle().Subject;
        hedge.Tags["llmgateway.hedge.result"].Should().Be("won");
        hedge.Tags["llmgateway.provider"].Should().Be("secondary");
        var lost = hedgingTokens.GetMeasurementSnapshot().Should().ContainSingle().Subject;
        lost.Tags["llmgateway.provider"].Should().Be("primary", "the cancelled attempt's estimate is hedging cost");
        lost.Value.Should().BePositive();
    }

    [Fact]
    public async Task SlowFirstToken_HedgingOffForTheAlias_TheCallerWaitsForThePrimary()
    {
        var time = new ArmingTimeProvider();
        await using var primary = await Upstream.StartAsync("from primary", holds: true);
        await using var fallback = await Upstream.StartAsync("from fallback", holds: false);
        using var host = Host(primary, fallback, time, ("LlmGateway:Hedging:Delay", "00:00:07"), ("LlmGateway:Models:smart:Hedging:Enabled", "false"));
        var address = host.StartKestrel();
        using var client = new HttpClient { BaseAddress = address };

        var call = PostStreamAsync(client);
        var release = await primary.NextAsync();
        time.Fake.Advance(TimeSpan.FromMinutes(1)); // far beyond the delay a hedge would have
        release.SetResult();
        using var response = await call.WaitAsync(s_guard);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("primary");
        response.Headers.GetValues("x-llmgateway-attempts").Should().Equal("1");
        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        events.Should().Equal(Sse.Chunk("c1", "from primary", "stop"), "[DONE]");
        fallback.Calls.Should().Be(0, "no hedge was started");
        time.HasArmed(TimeSpan.FromSeconds(7)).Should().BeFalse("a request that is not hedged waits for no hedging delay");
    }

    [Fact]
    public async Task FirstTokenBeforeTheDelay_NoHedgeIsStarted()
    {
        var time = new ArmingTimeProvider();
        await using var primary = await Upstream.StartAsync("from primary", holds: true);
        await using var fallback = await Upstream.StartAsync("from fallback", holds: false);
        using var host = Host(primary, fallback, time);
        var address = host.StartKestrel();
        using var hedges = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), "LlmGateway", "llmgateway.hedges");
        using var client = new HttpClient { BaseAddress = address };

        var call = PostStreamAsync(client);
        var release = await primary.NextAsync();
        await time.WaitForArmedAsync(TimeSpan.FromSeconds(10)).WaitAsync(s_guard); // the request is hedged...
        time.Fake.Advance(TimeSpan.FromSeconds(9));
        release.SetResult(); // ...and its first token comes just before the delay
        using var response = await call.WaitAsync(s_guard);

        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("primary");
        response.Headers.GetValues("x-llmgateway-attempts").Should().Equal("1");
        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        events.Should().Equal(Sse.Chunk("c1", "from primary", "stop"), "[DONE]");
        fallback.Calls.Should().Be(0);
        hedges.GetMeasurementSnapshot().Should().BeEmpty();
    }

    [Fact]
    public async Task PrimaryAnswersFirstAfterTheHedgeStarted_TheHedgeIsCancelled()
    {
        var time = new ArmingTimeProvider();
        await using var primary = await Upstream.StartAsync("from primary", holds: true);
        await using var fallback = await Upstream.StartAsync("from fallback", holds: true);
        using var host = Host(primary, fallback, time, ("LlmGateway:Models:smart:Hedging:Delay", "00:00:03"));
        var address = host.StartKestrel();
        using var hedges = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), "LlmGateway", "llmgateway.hedges");
        using var client = new HttpClient { BaseAddress = address };

        var call = PostStreamAsync(client);
        var releasePrimary = await primary.NextAsync();
        await time.WaitForArmedAsync(TimeSpan.FromSeconds(3)).WaitAsync(s_guard); // the alias's own delay
        time.Fake.Advance(TimeSpan.FromSeconds(3));
        await fallback.NextAsync(); // the hedge is under way, holding its first token too
        releasePrimary.SetResult();
        using var response = await call.WaitAsync(s_guard);

        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("primary");
        response.Headers.GetValues("x-llmgateway-attempts").Should().Equal("2");
        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        events.Should().Equal(Sse.Chunk("c1", "from primary", "stop"), "[DONE]");
        await fallback.Aborted.Task.WaitAsync(s_guard);
        var hedge = hedges.GetMeasurementSnapshot().Should().ContainSingle().Subject;
        hedge.Tags["llmgateway.hedge.result"].Should().Be("lost");
        hedge.Tags["llmgateway.provider"].Should().Be("primary");
    }

    [Fact]
    public async Task MeasuredFirstToken_SetsTheDelayToThreeTimesIt()
    {
        var time = new ArmingTimeProvider();
        await using var primary = await Upstream.StartAsync("from primary", holds: true);
        await using var fallback = await Upstream.StartAsync("from fallback", holds: false);
        using var host = Host(primary, fallback, time);
        var address = host.StartKestrel();
        using var client = new HttpClient { BaseAddress = address };

        var first = PostStreamAsync(client);
        var release = await primary.NextAsync();
        await time.WaitForArmedAsync(TimeSpan.FromSeconds(10)).WaitAsync(s_guard);
        time.Fake.Advance(TimeSpan.FromSeconds(2)); // the primary's first token takes 2 s
        release.SetResult();
        using (var response = await first.WaitAsync(s_guard))
        {
            await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        }

        var second = PostStreamAsync(client);
        release = await primary.NextAsync();
        await time.WaitForArmedAsync(TimeSpan.FromSeconds(6)).WaitAsync(s_guard); // 3 × 2 s
        release.SetResult();
        using (var response = await second.WaitAsync(s_guard))
        {
            (await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard)).Should().Contain(Sse.Chunk("c1", "from primary", "stop"));
        }

        fallback.Calls.Should().Be(0);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task RequestFallbacks_AreHedgedOnlyWhenHedgingIsOnGlobally(bool onGlobally)
    {
        var time = new ArmingTimeProvider();
        await using var primary = await Upstream.StartAsync("from primary", holds: true);
        await using var fallback = await Upstream.StartAsync("from fallback", holds: false);
        using var host = onGlobally ? Host(primary, fallback, time, ("LlmGateway:Hedging:Enabled", "true")) : Host(primary, fallback, time);
        var address = host.StartKestrel();
        using var client = new HttpClient { BaseAddress = address };

        var call = PostStreamAsync(client, """{"model":"primary/gpt-4o-mini","fallbacks":["secondary/gpt-4o-mini"],"stream":true,"messages":[{"role":"user","content":"Hi"}]}""");
        var release = await primary.NextAsync();
        if (onGlobally)
        {
            await time.WaitForArmedAsync(TimeSpan.FromSeconds(10)).WaitAsync(s_guard);
        }

        time.Fake.Advance(TimeSpan.FromMinutes(1));
        if (!onGlobally)
        {
            release.SetResult();
        }

        using var response = await call.WaitAsync(s_guard);

        response.Headers.GetValues("x-llmgateway-provider").Should().Equal(onGlobally ? "secondary" : "primary");
        fallback.Calls.Should().Be(onGlobally ? 1 : 0);
        time.HasArmed(TimeSpan.FromSeconds(10)).Should().Be(onGlobally, "only a hedged request waits for a hedging delay");
    }

    private static GatewayHost Host(Upstream primary, Upstream fallback, TimeProvider time, params (string Key, string Value)[] settings)
    {
        var all = new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:primary:Type"] = "OpenAI",
            ["LlmGateway:Providers:primary:BaseUrl"] = primary.BaseUrl,
            ["LlmGateway:Providers:secondary:Type"] = "OpenAI",
            ["LlmGateway:Providers:secondary:BaseUrl"] = fallback.BaseUrl,
            ["LlmGateway:Models:smart:Targets:0:Provider"] = "primary",
            ["LlmGateway:Models:smart:Targets:0:Model"] = "gpt-4o-mini",
            ["LlmGateway:Models:smart:Targets:1:Provider"] = "secondary",
            ["LlmGateway:Models:smart:Targets:1:Model"] = "gpt-4o-mini",

            // The tests move the clock far past the hedging delay: the first-byte deadline (30 s by default) would fail
            // a held primary over by itself and hide what hedging did.
            ["LlmGateway:FirstTokenTimeout"] = "00:10:00",
        };
        foreach (var (key, value) in settings)
        {
            all[key] = value;
        }

        return new GatewayHost(openAIBaseUrl: null, all, services => services.AddSingleton(time));
    }

    private static Task<HttpResponseMessage> PostStreamAsync(HttpClient client, string body = StreamRequest)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent(body, Encoding.UTF8, "application/json"),
        };
        return client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>
    /// A Kestrel upstream whose chat stream sends its headers at once and, when it holds, its first event only once the
    /// test releases it; it reports each request as it arrives and a connection the gateway aborted.
    /// </summary>
    private sealed class Upstream : IAsyncDisposable
    {
        private readonly Channel<TaskCompletionSource> _arrived = Channel.CreateUnbounded<TaskCompletionSource>();
        private StubUpstream? _stub;
        private int _calls;

        public TaskCompletionSource Aborted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string BaseUrl => _stub!.BaseUrl;

        public int Calls => Volatile.Read(ref _calls);

        public static async Task<Upstream> StartAsync(string text, bool holds)
        {
            var upstream = new Upstream();
            upstream._stub = await StubUpstream.StartAsync(context => upstream.HandleAsync(context, text, holds));
            return upstream;
        }

        /// <summary>Waits for the next request; completing the result lets its first event go.</summary>
        public async Task<TaskCompletionSource> NextAsync() => await _arrived.Reader.ReadAsync().AsTask().WaitAsync(s_guard);

        private async Task HandleAsync(HttpContext context, string text, bool holds)
        {
            Interlocked.Increment(ref _calls);
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!holds)
            {
                release.SetResult();
            }

            context.Response.ContentType = "text/event-stream";
            await context.Response.Body.FlushAsync();
            _arrived.Writer.TryWrite(release);
            try
            {
                await release.Task.WaitAsync(context.RequestAborted);
                await context.Response.WriteAsync($"data: {Sse.Chunk("c1", text, "stop")}\n\ndata: {UsageChunk}\n\ndata: [DONE]\n\n", context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                Aborted.TrySetResult();
            }
        }

        public ValueTask DisposeAsync() => _stub?.DisposeAsync() ?? ValueTask.CompletedTask;
    }
}
