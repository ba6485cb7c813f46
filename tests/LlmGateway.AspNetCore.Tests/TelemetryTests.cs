using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// The gateway's metrics, spans and request log lines, end to end. Spans are told apart from those of tests running
/// in parallel by the trace id each request sends in its own <c>traceparent</c>; metrics by the host's meter factory.
/// </summary>
public sealed class TelemetryTests : IDisposable
{
    private const string Chat = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"temperature":0}""";
    private const string StreamChat = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"stream":true}""";
    private const string UsageChunk = """{"id":"c1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}""";
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly ConcurrentQueue<Activity> _spans = new();
    private readonly ConcurrentDictionary<ActivityTraceId, bool> _traces = new();
    private readonly ActivityListener _listener;
    private readonly CapturingLoggerProvider _logs = new();

    public TelemetryTests()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = static source => source.Name is "LlmGateway" or "System.Net.Http",
            Sample = static (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (_traces.ContainsKey(activity.TraceId))
                {
                    _spans.Enqueue(activity);
                }
            },
        };
        ActivitySource.AddActivityListener(_listener);
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost().WithBody((string? b) => b is not null && !b.Contains("\"stream\":true", StringComparison.Ordinal)))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        var sse = string.Concat(new[] { Sse.Chunk("c1", "Hel"), Sse.Chunk("c1", "lo", "stop"), UsageChunk, "[DONE]" }.Select(e => $"data: {e}\n\n"));
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost().WithBody((string? b) => b is not null && b.Contains("\"stream\":true", StringComparison.Ordinal)))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));
    }

    public void Dispose()
    {
        _listener.Dispose();
        _upstream.Stop();
        _upstream.Dispose();
    }

    [Fact]
    public async Task PlainChat_Answered_RecordsGenAiDurationAndTokenUsageWithTags()
    {
        using var host = Host();
        using var client = host.CreateClient();
        var factory = host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var duration = new MetricCollector<double>(factory, "LlmGateway", "gen_ai.client.operation.duration");
        using var tokens = new MetricCollector<long>(factory, "LlmGateway", "gen_ai.client.token.usage");
        using var attempts = new MetricCollector<int>(factory, "LlmGateway", "llmgateway.attempts");
        using var requests = new MetricCollector<long>(factory, "LlmGateway", "llmgateway.requests");
        using var firstChunk = new MetricCollector<double>(factory, "LlmGateway", "gen_ai.client.operation.time_to_first_chunk");

        using var response = await PostAsync(client, Chat, NewTrace());

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        duration.Instrument!.Unit.Should().Be("s");
        tokens.Instrument!.Unit.Should().Be("{token}");
        var measured = duration.GetMeasurementSnapshot().Should().ContainSingle().Subject;
        measured.Value.Should().BeGreaterThanOrEqualTo(0);
        measured.Tags.Should().BeEquivalentTo(new Dictionary<string, object?>
        {
            ["gen_ai.operation.name"] = "chat",
            ["gen_ai.request.model"] = "gpt-4o-mini",
            ["gen_ai.response.model"] = "gpt-4o-mini",
            ["gen_ai.provider.name"] = "openai",
        });
        var used = tokens.GetMeasurementSnapshot();
        used.Should().ContainSingle(m => (string)m.Tags["gen_ai.token.type"]! == "input").Which.Value.Should().Be(9);
        used.Should().ContainSingle(m => (string)m.Tags["gen_ai.token.type"]! == "output").Which.Value.Should().Be(3);
        used.Should().OnlyContain(m => m.ContainsTags("gen_ai.operation.name", "gen_ai.request.model", "gen_ai.response.model", "gen_ai.provider.name") && !m.Tags.ContainsKey("error.type"));
        attempts.GetMeasurementSnapshot().Should().ContainSingle().Which.Value.Should().Be(1);
        firstChunk.GetMeasurementSnapshot().Should().BeEmpty("only streams have a first chunk");
        await EventuallyAsync(() => requests.GetMeasurementSnapshot().Count > 0, "the request is counted when its handler returns");
        var counted = requests.GetMeasurementSnapshot().Should().ContainSingle().Subject;
        counted.Tags["llmgateway.endpoint"].Should().Be("/v1/chat/completions");
        counted.Tags["http.response.status_code"].Should().Be(200);
    }

    [Fact]
    public async Task PlainChat_Answered_HasARequestSpanWithAnAttemptChildAndGenAiAttributes()
    {
        using var host = Host();
        using var client = host.CreateClient();
        var trace = NewTrace();

        using var response = await PostAsync(client, Chat, trace);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var spans = await SpansAsync(trace, 2);
        var request = spans.Should().ContainSingle(s => s.Kind == ActivityKind.Internal).Subject;
        var attempt = spans.Should().ContainSingle(s => s.Kind == ActivityKind.Client).Subject;
        request.DisplayName.Should().Be("chat gpt-4o-mini");
        request.Status.Should().Be(ActivityStatusCode.Unset);
        request.GetTagItem("gen_ai.operation.name").Should().Be("chat");
        request.GetTagItem("gen_ai.request.model").Should().Be("gpt-4o-mini");
        request.GetTagItem("gen_ai.response.model").Should().Be("gpt-4o-mini");
        request.GetTagItem("gen_ai.provider.name").Should().Be("openai");
        request.GetTagItem("gen_ai.usage.input_tokens").Should().Be(9L);
        request.GetTagItem("gen_ai.usage.output_tokens").Should().Be(3L);
        request.GetTagItem("llmgateway.request_id").Should().Be(response.Headers.GetValues("x-request-id").Single());
        request.ParentSpanId.Should().NotBe(default(ActivitySpanId), "the ASP.NET Core request span is its parent");
        attempt.ParentSpanId.Should().Be(request.SpanId);
        attempt.DisplayName.Should().Be("chat gpt-4o-mini");
        attempt.GetTagItem("llmgateway.provider").Should().Be("openai");
        attempt.GetTagItem("gen_ai.provider.name").Should().Be("openai");
        attempt.GetTagItem("http.response.status_code").Should().Be(200);
    }

    [Fact]
    public async Task PlainChat_TraceparentFromTheClient_ReachesTheUpstreamWithTheSameTraceId()
    {
        using var host = Host();
        using var client = host.CreateClient();
        var trace = NewTrace();

        using var response = await PostAsync(client, Chat, trace);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var sent = _upstream.LogEntries.Single().RequestMessage.Headers!["traceparent"].Single();
        sent.Split('-')[1].Should().Be(trace.ToHexString());
        var attempt = (await SpansAsync(trace, 2)).Single(s => s.Kind == ActivityKind.Client);
        await EventuallyAsync(() => _spans.Any(s => s.Source.Name == "System.Net.Http" && s.TraceId == trace), "HttpClient's span ends");
        var call = _spans.Single(s => s.Source.Name == "System.Net.Http" && s.TraceId == trace);
        sent.Split('-')[2].Should().Be(call.SpanId.ToHexString(), "the upstream request carries HttpClient's span");
        call.ParentSpanId.Should().Be(attempt.SpanId, "the upstream call is made inside the attempt span");
    }

    [Fact]
    public async Task OverheadHeader_OnBodyAndStream_IsMillisecondsWithThreeDecimals()
    {
        using var host = Host();
        using var client = host.CreateClient();
        var factory = host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var overhead = new MetricCollector<double>(factory, "LlmGateway", "llmgateway.overhead");

        using var body = await PostAsync(client, Chat, NewTrace());
        using var stream = await PostAsync(client, StreamChat, NewTrace());
        await stream.Content.ReadAsStringAsync();

        foreach (var response in new[] { body, stream })
        {
            var text = response.Headers.GetValues("x-llmgateway-overhead-ms").Single();
            text.Should().MatchRegex(@"^\d+\.\d{3}$");
            double.Parse(text, CultureInfo.InvariantCulture).Should().BeGreaterThanOrEqualTo(0);
        }

        overhead.Instrument!.Unit.Should().Be("s");
        overhead.GetMeasurementSnapshot().Should().HaveCount(2).And.OnlyContain(m => (string)m.Tags["llmgateway.endpoint"]! == "/v1/chat/completions");
    }

    [Fact]
    public async Task StreamedChat_Ended_RecordsTimeToFirstChunkAndTokensAtTheEnd()
    {
        using var host = Host();
        using var client = host.CreateClient();
        var factory = host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var firstChunk = new MetricCollector<double>(factory, "LlmGateway", "gen_ai.client.operation.time_to_first_chunk");
        using var duration = new MetricCollector<double>(factory, "LlmGateway", "gen_ai.client.operation.duration");
        using var tokens = new MetricCollector<long>(factory, "LlmGateway", "gen_ai.client.token.usage");
        var trace = NewTrace();

        using var response = await PostAsync(client, StreamChat, trace);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        (await Sse.ReadEventAsync(reader)).Should().Contain("Hel");

        firstChunk.Instrument!.Unit.Should().Be("s");
        firstChunk.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags["gen_ai.request.model"].Should().Be("gpt-4o-mini");
        await reader.ReadToEndAsync();
        await EventuallyAsync(() => duration.GetMeasurementSnapshot().Count > 0, "the stream's duration is recorded when it ends");
        duration.GetMeasurementSnapshot().Should().ContainSingle().Which.Tags.Should().NotContainKey("error.type");
        var used = tokens.GetMeasurementSnapshot();
        used.Should().ContainSingle(m => (string)m.Tags["gen_ai.token.type"]! == "input").Which.Value.Should().Be(7);
        used.Should().ContainSingle(m => (string)m.Tags["gen_ai.token.type"]! == "output").Which.Value.Should().Be(2);
        var request = (await SpansAsync(trace, 2)).Single(s => s.Kind == ActivityKind.Internal);
        request.GetTagItem("gen_ai.usage.input_tokens").Should().Be(7L);
        request.GetTagItem("gen_ai.usage.output_tokens").Should().Be(2L);
    }

    [Fact]
    public async Task FailedOver_FirstInstance503_RecordsTwoAttemptsAFallbackAndAnErrorAttemptSpan()
    {
        _upstream.Given(Request.Create().WithPath("/primary/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(503).WithHeader("Retry-After", "30").WithBody("""{"error":{"message":"down","type":"server_error","param":null,"code":null}}"""));
        _upstream.Given(Request.Create().WithPath("/secondary/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        using var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:primary:Type"] = "OpenAI",
            ["LlmGateway:Providers:primary:BaseUrl"] = _upstream.Urls[0] + "/primary/v1",
            ["LlmGateway:Providers:primary:ApiKey"] = TestKeys.Upstream,
            ["LlmGateway:Providers:secondary:Type"] = "OpenAI",
            ["LlmGateway:Providers:secondary:BaseUrl"] = _upstream.Urls[0] + "/secondary/v1",
            ["LlmGateway:Providers:secondary:ApiKey"] = TestKeys.Upstream,
            ["LlmGateway:Models:smart:Strategy"] = "Fallback",
            ["LlmGateway:Models:smart:Targets:0:Provider"] = "primary",
            ["LlmGateway:Models:smart:Targets:0:Model"] = "gpt-4o",
            ["LlmGateway:Models:smart:Targets:1:Provider"] = "secondary",
            ["LlmGateway:Models:smart:Targets:1:Model"] = "gpt-4o-mini",
        });
        using var client = host.CreateClient();
        var factory = host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var attempts = new MetricCollector<int>(factory, "LlmGateway", "llmgateway.attempts");
        using var fallbacks = new MetricCollector<long>(factory, "LlmGateway", "llmgateway.fallbacks");
        using var circuits = new MetricCollector<int>(factory, "LlmGateway", "llmgateway.circuit.open");
        using var duration = new MetricCollector<double>(factory, "LlmGateway", "gen_ai.client.operation.duration");
        var trace = NewTrace();

        using var response = await PostAsync(client, """{"model":"smart","messages":[{"role":"user","content":"Hi"}]}""", trace);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        attempts.GetMeasurementSnapshot().Should().ContainSingle().Which.Value.Should().Be(2);
        var fallback = fallbacks.GetMeasurementSnapshot().Should().ContainSingle().Subject;
        fallback.Value.Should().Be(1);
        fallback.Tags["llmgateway.provider"].Should().Be("secondary");
        fallback.Tags["gen_ai.request.model"].Should().Be("smart");
        var measured = duration.GetMeasurementSnapshot().Should().ContainSingle().Subject;
        measured.Tags["gen_ai.request.model"].Should().Be("smart");
        measured.Tags["gen_ai.response.model"].Should().Be("gpt-4o-mini");
        measured.Tags.Should().NotContainKey("error.type");
        circuits.RecordObservableInstruments();
        circuits.GetMeasurementSnapshot().Should().ContainSingle(m => (string)m.Tags["llmgateway.target"]! == "primary/gpt-4o").Which.Value.Should().Be(1, "a Retry-After opened its circuit");

        var spans = await SpansAsync(trace, 3);
        var request = spans.Single(s => s.Kind == ActivityKind.Internal);
        request.DisplayName.Should().Be("chat smart");
        request.Status.Should().Be(ActivityStatusCode.Unset);
        request.GetTagItem("llmgateway.attempts").Should().Be(2);
        var tries = spans.Where(s => s.Kind == ActivityKind.Client).OrderBy(s => (int)s.GetTagItem("llmgateway.attempt")!).ToList();
        tries.Should().HaveCount(2).And.OnlyContain(s => s.ParentSpanId == request.SpanId);
        tries[0].DisplayName.Should().Be("chat gpt-4o");
        tries[0].GetTagItem("llmgateway.provider").Should().Be("primary");
        tries[0].Status.Should().Be(ActivityStatusCode.Error);
        tries[0].GetTagItem("error.type").Should().NotBeNull();
        tries[0].GetTagItem("http.response.status_code").Should().Be(503);
        tries[1].GetTagItem("llmgateway.provider").Should().Be("secondary");
        tries[1].Status.Should().Be(ActivityStatusCode.Unset);
    }

    [Fact]
    public async Task PatientRetry_OnTheFirstInstance_IsOnItsAttemptSpanAndTheRequestSpan()
    {
        _upstream.Given(Request.Create().WithPath("/primary/v1/chat/completions").UsingPost()).InScenario("flaky").WillSetStateTo("recovered")
            .RespondWith(Response.Create().WithStatusCode(500).WithBody("""{"error":{"message":"down","type":"server_error","param":null,"code":null}}"""));
        _upstream.Given(Request.Create().WithPath("/primary/v1/chat/completions").UsingPost()).InScenario("flaky").WhenStateIs("recovered")
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        using var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:primary:Type"] = "OpenAI",
            ["LlmGateway:Providers:primary:BaseUrl"] = _upstream.Urls[0] + "/primary/v1",
            ["LlmGateway:Providers:primary:ApiKey"] = TestKeys.Upstream,
            ["LlmGateway:Providers:secondary:Type"] = "OpenAI",
            ["LlmGateway:Providers:secondary:BaseUrl"] = _upstream.Urls[0] + "/secondary/v1",
            ["LlmGateway:Providers:secondary:ApiKey"] = TestKeys.Upstream,
            ["LlmGateway:Models:smart:Targets:0:Provider"] = "primary",
            ["LlmGateway:Models:smart:Targets:0:Model"] = "gpt-4o",
            ["LlmGateway:Models:smart:Targets:1:Provider"] = "secondary",
            ["LlmGateway:Models:smart:Targets:1:Model"] = "gpt-4o-mini",
        });
        using var client = host.CreateClient();
        var trace = NewTrace();

        using var response = await PostAsync(client, """{"model":"smart","messages":[{"role":"user","content":"Hi"}]}""", trace);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        var spans = await SpansAsync(trace, 2);
        var request = spans.Single(s => s.Kind == ActivityKind.Internal);
        request.GetTagItem("llmgateway.attempts").Should().Be(1);
        request.GetTagItem("llmgateway.retries").Should().Be(1);
        var attempt = spans.Should().ContainSingle(s => s.Kind == ActivityKind.Client).Subject;
        attempt.GetTagItem("llmgateway.provider").Should().Be("primary");
        attempt.GetTagItem("llmgateway.retries").Should().Be(1);
        attempt.GetTagItem("llmgateway.retry.patient").Should().Be(true);
        attempt.Events.Should().ContainSingle(e => e.Name == "llmgateway.retry")
            .Which.Tags.Should().Contain(new KeyValuePair<string, object?>("llmgateway.retry.reason", "server_error"));
    }

    [Fact]
    public async Task CachedChat_SecondRequest_IsAHitWithNoAttemptSpanAndNoTokens()
    {
        using var host = Host(("LlmGateway:Cache:Enabled", "true"));
        using var client = host.CreateClient();
        var factory = host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var cache = new MetricCollector<long>(factory, "LlmGateway", "llmgateway.cache.requests");
        using var tokens = new MetricCollector<long>(factory, "LlmGateway", "gen_ai.client.token.usage");
        using var duration = new MetricCollector<double>(factory, "LlmGateway", "gen_ai.client.operation.duration");
        var first = NewTrace();
        var second = NewTrace();

        using var miss = await PostAsync(client, Chat, first);
        using var hit = await PostAsync(client, Chat, second);

        miss.Headers.GetValues("X-Cache").Should().Equal("MISS");
        hit.Headers.GetValues("X-Cache").Should().Equal("HIT");
        cache.GetMeasurementSnapshot().Select(m => m.Tags["llmgateway.cache.result"]).Should().Equal("miss", "hit");
        tokens.GetMeasurementSnapshot().Should().HaveCount(2, "only the miss used tokens (input and output)");
        duration.GetMeasurementSnapshot().Should().HaveCount(2).And.OnlyContain(m => (string)m.Tags["gen_ai.request.model"]! == "gpt-4o-mini");
        (await SpansAsync(first, 2)).Should().ContainSingle(s => s.Kind == ActivityKind.Client);
        var hitSpans = await SpansAsync(second, 1);
        var request = hitSpans.Should().ContainSingle().Subject;
        request.Kind.Should().Be(ActivityKind.Internal);
        request.GetTagItem("llmgateway.cache.result").Should().Be("hit");
        request.GetTagItem("llmgateway.attempts").Should().Be(0);
    }

    [Fact]
    public async Task Requests_Logged_CarryTheRequestIdInScopeAndOneLineWithTheFields()
    {
        using var host = Host(("LlmGateway:Cache:Enabled", "true"));
        using var client = host.CreateClient();

        using var plain = await PostAsync(client, Chat, NewTrace(), requestId: "req-telemetry-plain");
        using var cached = await PostAsync(client, Chat, NewTrace(), requestId: "req-telemetry-cached");
        using var stream = await PostAsync(client, StreamChat, NewTrace(), requestId: "req-telemetry-stream");
        await stream.Content.ReadAsStringAsync();
        using var refused = await PostAsync(client, "{not json", NewTrace(), requestId: "req-telemetry-refused");

        await EventuallyAsync(() => _logs.Lines.Count(l => l.Contains("EventId=3010", StringComparison.Ordinal) || l.Contains(" answered ", StringComparison.Ordinal)) >= 4, "each request writes its line when it ends");
        LineOf("req-telemetry-plain").Should().Contain("/v1/chat/completions answered 200 in ")
            .And.Contain("provider openai, model gpt-4o-mini, 1 attempt(s), retries 0, tokens 9 in / 3 out, cache MISS, error -")
            .And.Contain("LatencyMs=");
        LineOf("req-telemetry-cached").Should().Contain("answered 200").And.Contain("0 attempt(s)").And.Contain("cache HIT");
        LineOf("req-telemetry-stream").Should().Contain("answered 200").And.Contain("tokens 7 in / 2 out").And.Contain("error -");
        LineOf("req-telemetry-refused").Should().Contain("answered 400").And.Contain("error invalid_json");
        var ours = _logs.Lines.Where(l => l.Contains("scope=RequestId:req-telemetry-", StringComparison.Ordinal)).ToList();
        ours.Should().Contain(l => l.Contains("LlmGateway.AspNetCore:", StringComparison.Ordinal) && l.Contains("RequestPath", StringComparison.Ordinal), "ASP.NET Core's own request scope is still there");
        var lines = _logs.Lines.Where(l => l.Contains("/v1/chat/completions", StringComparison.Ordinal) && l.Contains(" answered ", StringComparison.Ordinal)).ToList();
        lines.Should().HaveCount(4).And.OnlyContain(l => l.Contains("scope=RequestId:req-telemetry-", StringComparison.Ordinal));
        _logs.Lines.Should().NotContain(l => l.Contains(TestKeys.Upstream, StringComparison.Ordinal) || l.Contains("Hello there", StringComparison.Ordinal) || l.Contains("\"Hi\"", StringComparison.Ordinal));
    }

    private string LineOf(string requestId) => _logs.Lines.Should()
        .ContainSingle(l => l.Contains(" answered ", StringComparison.Ordinal) && l.Contains($"RequestId:{requestId}", StringComparison.Ordinal)).Subject;

    private GatewayHost Host(params (string Key, string? Value)[] extra) =>
        new(_upstream.Urls[0] + "/v1", extra.ToDictionary(e => e.Key, e => e.Value), services => services.AddSingleton<ILoggerProvider>(_logs));

    private ActivityTraceId NewTrace()
    {
        var trace = ActivityTraceId.CreateRandom();
        _traces[trace] = true;
        return trace;
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string body, ActivityTraceId trace, string? requestId = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Add("traceparent", $"00-{trace.ToHexString()}-{ActivitySpanId.CreateRandom().ToHexString()}-01");
        if (requestId is not null)
        {
            request.Headers.Add("x-request-id", requestId);
        }

        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
    }

    /// <summary>The stopped spans of a trace, once there are <paramref name="count"/> of them.</summary>
    private async Task<List<Activity>> SpansAsync(ActivityTraceId trace, int count)
    {
        await EventuallyAsync(() => _spans.Count(s => s.TraceId == trace && s.Source.Name == "LlmGateway") >= count, $"{count} span(s) of the trace end");
        return _spans.Where(s => s.TraceId == trace && s.Source.Name == "LlmGateway").ToList();
    }

    private static async Task EventuallyAsync(Func<bool> condition, string because)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, because);
            await Task.Delay(10);
        }
    }
}
