using System.ClientModel;
using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using LlmGateway.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using OpenAI;
using OpenAI.Chat;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// Chat streams cut after output reached the client (a dropped connection, a stream closed before its end, a stall,
/// a malformed event), continued on the alias's next target and spliced into the client's stream. Every upstream is
/// a small Kestrel stub, since WireMock cannot cut a stream mid-body; nothing sleeps: each step waits for a signal or
/// for the stream's own end, and a generous timeout only turns a hang into a failure.
/// </summary>
public sealed class ContinuationTests
{
    private const string Answer = "The quick brown fox jumps over the lazy dog.";
    private const string Delivered = "The quick brown ";
    private const string StreamRequest = """{"model":"smart","stream":true,"messages":[{"role":"user","content":"Tell me about the fox"}]}""";
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task StreamCutMidAnswerIsContinuedOnAGeminiFallbackFromTheDeliveredText()
    {
        await using var primary = await CutAfterAsync(Role("c1"), Sse.Chunk("c1", "The quick "), Sse.Chunk("c1", "brown "));
        var gemini = new Recorder();
        await using var fallback = await StubUpstream.StartAsync(gemini.Answer(GeminiStream("fox jumps ", "over the lazy dog.")));
        using var host = Host(primary, fallback, geminiFallback: true);
        using var client = host.CreateClient();

        using var response = await PostAsync(client, StreamRequest);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("x-llmgateway-provider").Should().ContainSingle().Which.Should().Be("primary", "the headers went out with the first target's first event");
        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        AssertOneWholeStream(events).Should().Be(Answer);

        using var sent = JsonDocument.Parse(gemini.Bodies.Single());
        var last = sent.RootElement.GetProperty("contents").EnumerateArray().Last();
        last.GetProperty("role").GetString().Should().Be("model", "the delivered text is the model turn Gemini continues");
        last.GetProperty("parts")[0].GetProperty("text").GetString().Should().Be(Delivered);
    }

    [Fact]
    public async Task DroppedConnectionIsContinuedOnATargetConfiguredToContinueAPrefill()
    {
        var clientGotTheCutChunks = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var primary = await StubUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync($"data: {Sse.Chunk("c1", "The quick ")}\n\ndata: {Sse.Chunk("c1", "brown ")}\n\n");
            await context.Response.Body.FlushAsync();

            // Drop the connection only once the chunks are through: a reset can discard data not yet read.
            await clientGotTheCutChunks.Task.WaitAsync(s_guard);
            context.Abort();
        });
        var recorder = new Recorder();
        await using var fallback = await StubUpstream.StartAsync(recorder.Answer(OpenAIStream("other", "fox jumps ", "over the lazy dog.")));
        using var host = Host(primary, fallback, settings: new() { ["LlmGateway:Models:smart:Targets:1:Prefill"] = "true" });
        var address = host.StartKestrel();
        using var client = new HttpClient { BaseAddress = address };

        using var response = await client.SendAsync(StreamPost(StreamRequest), HttpCompletionOption.ResponseHeadersRead).WaitAsync(s_guard);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string> { (await Sse.ReadEventAsync(reader).WaitAsync(s_guard))!, (await Sse.ReadEventAsync(reader).WaitAsync(s_guard))! };
        clientGotTheCutChunks.SetResult();
        while (await Sse.ReadEventAsync(reader).WaitAsync(s_guard) is { } data)
        {
            events.Add(data);
        }

        AssertOneWholeStream(events).Should().Be(Answer);
        using var sent = JsonDocument.Parse(recorder.Bodies.Single());
        var messages = sent.RootElement.GetProperty("messages");
        messages.GetArrayLength().Should().Be(2);
        messages[1].GetProperty("role").GetString().Should().Be("assistant");
        messages[1].GetProperty("content").GetString().Should().Be(Delivered);
        sent.RootElement.GetProperty("model").GetString().Should().Be("gpt-4o-mini");
    }

    [Fact]
    public async Task OpenAIFallbackIsAskedAfreshAndItsAnswerIsSplicedAfterTheDeliveredText()
    {
        await using var primary = await CutAfterAsync(Role("c1"), Sse.Chunk("c1", "The quick "), Sse.Chunk("c1", "brown "));
        var recorder = new Recorder();

        // The new answer's chunks do not line up with the cut: the splice point falls inside one.
        await using var fallback = await StubUpstream.StartAsync(recorder.Answer(OpenAIStream("other", "The qu", "ick brown f", "ox jumps ", "over the lazy dog.")));
        using var host = Host(primary, fallback);
        using var client = host.CreateClient();
        var factory = host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var continuations = new MetricCollector<long>(factory, "LlmGateway", "llmgateway.continuations");

        using var response = await PostAsync(client, StreamRequest);

        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        AssertOneWholeStream(events).Should().Be(Answer);
        using var sent = JsonDocument.Parse(recorder.Bodies.Single());
        sent.RootElement.GetProperty("messages").GetArrayLength().Should().Be(1, "an OpenAI chat model answers a trailing assistant message afresh, so it never gets one");
        sent.RootElement.GetProperty("messages")[0].GetProperty("role").GetString().Should().Be("user");
        continuations.GetMeasurementSnapshot().Should().ContainSingle()
            .Which.Tags["llmgateway.continuation.outcome"].Should().Be("restart");
    }

    [Fact]
    public async Task RestartedAnswerThatDivergesEndsTheStreamWithAContinuationDivergedErrorEvent()
    {
        await using var primary = await CutAfterAsync(Sse.Chunk("c1", "The quick "), Sse.Chunk("c1", "brown "));
        await using var fallback = await StubUpstream.StartAsync(new Recorder().Answer(OpenAIStream("other", "A slow ", "green turtle.")));
        using var host = Host(primary, fallback, fallbackModel: "local-model");
        using var client = host.CreateClient();

        using var response = await PostAsync(client, StreamRequest);

        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        events.Should().HaveCount(3).And.NotContain("[DONE]");
        events.Take(2).Should().Equal(Sse.Chunk("c1", "The quick "), Sse.Chunk("c1", "brown "));
        using var error = JsonDocument.Parse(events[^1]);
        error.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("continuation_diverged");
        error.RootElement.GetProperty("error").GetProperty("message").GetString().Should().Contain("did not continue the text already sent");
    }

    [Fact]
    public async Task PrefillRefusedWithA400IsRestartedAndTheTargetIsAskedAfreshFromThenOn()
    {
        await using var primary = await CutAfterAsync(Sse.Chunk("c1", "The quick "), Sse.Chunk("c1", "brown "));
        var recorder = new Recorder();
        var full = OpenAIStream("other", "The quick brown ", "fox jumps over the lazy dog.");
        await using var fallback = await StubUpstream.StartAsync(async context =>
        {
            var body = await recorder.RecordAsync(context);
            if (IsPrefill(body))
            {
                context.Response.StatusCode = 400;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("""{"error":{"message":"The last message must be a user message.","type":"invalid_request_error","param":"messages","code":null}}""");
                return;
            }

            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync(full);
        });
        using var host = Host(primary, fallback, settings: new() { ["LlmGateway:Catalog:gpt-4o-mini:Prefill"] = "true" });
        using var client = host.CreateClient();

        foreach (var round in new[] { "first", "second" })
        {
            using var response = await PostAsync(client, StreamRequest);
            var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
            AssertOneWholeStream(events).Should().Be(Answer, $"the {round} request is restarted and spliced");
        }

        recorder.Bodies.Select(IsPrefill).Should().Equal([true, false, false], "the refusal is remembered: the second continuation restarts at once");
    }

    [Fact]
    public async Task StalledStreamIsContinuedOnceTheIdleTimeoutExpires()
    {
        var time = new ArmingTimeProvider();
        var idle = TimeSpan.FromSeconds(37);
        await using var primary = await StubUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync($"data: {Sse.Chunk("c1", "The quick ")}\n\ndata: {Sse.Chunk("c1", "brown ")}\n\n");
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default);
        });
        await using var fallback = await StubUpstream.StartAsync(new Recorder().Answer(GeminiStream("fox jumps ", "over the lazy dog.")));
        using var host = Host(primary, fallback, geminiFallback: true, settings: new() { ["LlmGateway:StreamIdleTimeout"] = "00:00:37" }, services: s => s.AddSingleton<TimeProvider>(time));
        var address = host.StartKestrel();
        using var client = new HttpClient { BaseAddress = address };

        using var response = await client.SendAsync(StreamPost(StreamRequest), HttpCompletionOption.ResponseHeadersRead).WaitAsync(s_guard);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<string> { (await Sse.ReadEventAsync(reader).WaitAsync(s_guard))!, (await Sse.ReadEventAsync(reader).WaitAsync(s_guard))! };

        // The idle timer is armed while waiting for each of the two chunks, then for a third: only then is the gateway
        // waiting on a silent upstream.
        for (var i = 0; i < 3; i++)
        {
            await time.WaitForArmedAsync(idle).WaitAsync(s_guard);
        }

        time.Fake.Advance(idle + TimeSpan.FromSeconds(1));
        while (await Sse.ReadEventAsync(reader).WaitAsync(s_guard) is { } data)
        {
            events.Add(data);
        }

        AssertOneWholeStream(events).Should().Be(Answer);
    }

    [Fact]
    public async Task MalformedEventMidStreamIsContinued()
    {
        await using var primary = await StubUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync($"data: {Sse.Chunk("c1", "The quick ")}\n\ndata: {Sse.Chunk("c1", "brown ")}\n\ndata: {{\"choices\":[{{\"delta\n\n");
        });
        await using var fallback = await StubUpstream.StartAsync(new Recorder().Answer(GeminiStream("fox jumps ", "over the lazy dog.")));
        using var host = Host(primary, fallback, geminiFallback: true);
        using var client = host.CreateClient();

        using var response = await PostAsync(client, StreamRequest);

        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        AssertOneWholeStream(events).Should().Be(Answer);
    }

    [Fact]
    public async Task UsageChunkAndTheUsageRecordAddTheCutAttemptToTheContinuation()
    {
        const string request = """{"model":"smart","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Tell me about the fox"}]}""";
        await using var primary = await CutAfterAsync(Sse.Chunk("c1", "The quick "), Sse.Chunk("c1", "brown "));
        await using var fallback = await StubUpstream.StartAsync(new Recorder().Answer(GeminiStream("fox jumps ", "over the lazy dog.")));
        using var host = Host(primary, fallback, geminiFallback: true);
        using var client = host.CreateClient();

        using var response = await PostAsync(client, request);

        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        AssertOneWholeStream(events).Should().Be(Answer);
        var usageChunks = events.Where(e => e != "[DONE]").Select(e => JsonDocument.Parse(e).RootElement).Where(e => e.TryGetProperty("usage", out var u) && u.ValueKind == JsonValueKind.Object).ToList();
        var usage = usageChunks.Should().ContainSingle().Subject.GetProperty("usage");

        // The cut attempt was sent the prompt and produced the delivered text: both are counted (estimated with the
        // tokenizer), on top of what the continuation reported (11 in, 7 out).
        var cutPrompt = new TokenEstimator().EstimatePromptTokens(Encoding.UTF8.GetBytes(request), GatewayOperation.ChatCompletions);
        var cutCompletion = TokenEstimator.EstimateTextTokens(Delivered);
        cutPrompt.Should().BePositive();
        cutCompletion.Should().BePositive();
        usage.GetProperty("prompt_tokens").GetInt64().Should().Be(11 + cutPrompt);
        usage.GetProperty("completion_tokens").GetInt64().Should().Be(7 + cutCompletion);
        usage.GetProperty("total_tokens").GetInt64().Should().Be(18 + cutPrompt + cutCompletion);

        var recorded = await host.Services.GetRequiredService<IUsageStore>().ListAsync(null, UsagePeriod.Day, DateTimeOffset.UtcNow, default);
        var entry = recorded.Should().ContainSingle().Subject;
        entry.PromptTokens.Should().Be(11 + cutPrompt);
        entry.CompletionTokens.Should().Be(7 + cutCompletion);
    }

    [Fact]
    public async Task UsageChunkIsLeftOutForAClientThatDidNotAskForIt()
    {
        await using var primary = await CutAfterAsync(Sse.Chunk("c1", "The quick "), Sse.Chunk("c1", "brown "));
        await using var fallback = await StubUpstream.StartAsync(new Recorder().Answer(GeminiStream("fox jumps ", "over the lazy dog.")));
        using var host = Host(primary, fallback, geminiFallback: true);
        using var client = host.CreateClient();

        using var response = await PostAsync(client, StreamRequest);

        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        AssertOneWholeStream(events).Should().Be(Answer);
        events.Should().NotContain(e => e.Contains("\"usage\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task StreamCutAfterAToolCallStartedEndsWithItsErrorEventAndIsNotContinued()
    {
        const string toolCall = """{"id":"c1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\"q\":"}}]},"finish_reason":null}]}""";
        await using var primary = await CutAfterAsync(toolCall);
        var recorder = new Recorder();
        await using var fallback = await StubUpstream.StartAsync(recorder.Answer(OpenAIStream("other", "never used")));
        using var host = Host(primary, fallback, geminiFallback: true);
        using var client = host.CreateClient();

        using var response = await PostAsync(client, StreamRequest);

        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        events.Should().HaveCount(2).And.NotContain("[DONE]");
        events[0].Should().Be(toolCall);
        using var error = JsonDocument.Parse(events[1]);
        error.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("stream_interrupted");
        recorder.Bodies.Should().BeEmpty("a half-made tool call cannot be continued by another answer");
    }

    [Fact]
    public async Task WhenTheFallbackFailsTooTheClientGetsTheCutsOneErrorEvent()
    {
        await using var primary = await CutAfterAsync(Sse.Chunk("c1", "The quick "), Sse.Chunk("c1", "brown "));
        var recorder = new Recorder();
        await using var fallback = await StubUpstream.StartAsync(async context =>
        {
            await recorder.RecordAsync(context);
            context.Response.StatusCode = 503;
            await context.Response.WriteAsync("""{"error":{"message":"down","type":"server_error","param":null,"code":null}}""");
        });
        using var host = Host(primary, fallback, settings: new() { ["LlmGateway:Resilience:MaxRetries"] = "0" });
        using var client = host.CreateClient();

        using var response = await PostAsync(client, StreamRequest);

        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        events.Should().HaveCount(3);
        using var error = JsonDocument.Parse(events[2]);
        error.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("stream_interrupted");
        recorder.Bodies.Should().ContainSingle("the fallback was asked once");
    }

    [Fact]
    public async Task OpenAISdkStreamingThroughAnAliasWhosePrimaryIsCutGetsTheWholeText()
    {
        await using var primary = await CutAfterAsync(Role("c1"), Sse.Chunk("c1", "The quick "), Sse.Chunk("c1", "brown "));
        await using var fallback = await StubUpstream.StartAsync(new Recorder().Answer(GeminiStream("fox jumps ", "over the lazy dog.")));
        using var host = Host(primary, fallback, geminiFallback: true);
        var address = host.StartKestrel();
        var sdk = new OpenAIClient(new ApiKeyCredential("any-key-the-gateway-ignores"), new OpenAIClientOptions { Endpoint = new Uri(address, "/v1") });

        var text = new StringBuilder();
        var ids = new HashSet<string>();
        ChatTokenUsage? usage = null;
        var finishes = 0;
        await foreach (var update in sdk.GetChatClient("smart").CompleteChatStreamingAsync([new UserChatMessage("Tell me about the fox")]))
        {
            foreach (var part in update.ContentUpdate)
            {
                text.Append(part.Text);
            }

            ids.Add(update.CompletionId);
            usage ??= update.Usage;
            finishes += update.FinishReason is null ? 0 : 1;
        }

        text.ToString().Should().Be(Answer);
        ids.Should().Equal("c1");
        finishes.Should().Be(1);
        usage!.OutputTokenCount.Should().BeGreaterThan(7, "the cut attempt's output is added to the continuation's");
    }

    private static GatewayHost Host(
        StubUpstream primary,
        StubUpstream fallback,
        bool geminiFallback = false,
        string fallbackModel = "gpt-4o-mini",
        Dictionary<string, string?>? settings = null,
        Action<IServiceCollection>? services = null)
    {
        var all = new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:primary:Type"] = "OpenAI",
            ["LlmGateway:Providers:primary:BaseUrl"] = primary.BaseUrl,
            ["LlmGateway:Providers:primary:ApiKey"] = TestKeys.Upstream,
            ["LlmGateway:Providers:fallback:Type"] = geminiFallback ? "Gemini" : "OpenAI",
            ["LlmGateway:Providers:fallback:BaseUrl"] = fallback.BaseUrl,
            ["LlmGateway:Providers:fallback:ApiKey"] = geminiFallback ? "g-key" : TestKeys.Upstream,
            ["LlmGateway:Models:smart:Targets:0:Provider"] = "primary",
            ["LlmGateway:Models:smart:Targets:0:Model"] = "gpt-4o",
            ["LlmGateway:Models:smart:Targets:1:Provider"] = "fallback",
            ["LlmGateway:Models:smart:Targets:1:Model"] = geminiFallback ? "gemini-2.5-flash" : fallbackModel,
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        return new GatewayHost(openAIBaseUrl: null, all, services);
    }

    /// <summary>Checks the client saw one stream: the first target's id, created and model on every chunk, choice 0,
    /// one finish reason, no error, <c>[DONE]</c> last; returns its text.</summary>
    private static string AssertOneWholeStream(List<string> events)
    {
        events.Should().NotBeEmpty();
        events[^1].Should().Be("[DONE]");
        var text = new StringBuilder();
        var finishes = 0;
        foreach (var data in events.Take(events.Count - 1))
        {
            using var chunk = JsonDocument.Parse(data);
            var root = chunk.RootElement;
            root.TryGetProperty("error", out _).Should().BeFalse($"no error event reaches the client: {data}");
            root.GetProperty("id").GetString().Should().Be("c1");
            root.GetProperty("created").GetInt64().Should().Be(1700000000);
            root.GetProperty("model").GetString().Should().Be("gpt-4o-mini");
            foreach (var choice in root.GetProperty("choices").EnumerateArray())
            {
                choice.GetProperty("index").GetInt32().Should().Be(0);
                if (choice.TryGetProperty("delta", out var delta) && delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
                {
                    text.Append(content.GetString());
                }

                if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
                {
                    finishes++;
                }
            }
        }

        finishes.Should().Be(1, "the answer ends once");
        return text.ToString();
    }

    private static bool IsPrefill(string body)
    {
        using var json = JsonDocument.Parse(body);
        return json.RootElement.GetProperty("messages").EnumerateArray().Last().GetProperty("role").GetString() == "assistant";
    }

    /// <summary>An OpenAI upstream whose stream closes after <paramref name="chunks"/>, without a finish reason or
    /// <c>[DONE]</c>: cut.</summary>
    private static Task<StubUpstream> CutAfterAsync(params string[] chunks) => StubUpstream.StartAsync(async context =>
    {
        context.Response.ContentType = "text/event-stream";
        foreach (var chunk in chunks)
        {
            await context.Response.WriteAsync($"data: {chunk}\n\n");
        }
    });

    private static string Role(string id) =>
        $$"""{"id":"{{id}}","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}""";

    /// <summary>A whole OpenAI stream under another id, time and model than the cut one, with its usage (11 in, 7 out).</summary>
    private static string OpenAIStream(string id, params string[] parts)
    {
        string Chunk(string delta, string finish) =>
            $$"""{"id":"{{id}}","object":"chat.completion.chunk","created":1800000000,"model":"gpt-4o-mini-2024-07-18","choices":[{"index":0,"delta":{{delta}},"finish_reason":{{finish}}}]}""";
        var sse = new StringBuilder().Append("data: ").Append(Chunk("""{"role":"assistant","content":""}""", "null")).Append("\n\n");
        foreach (var part in parts)
        {
            sse.Append("data: ").Append(Chunk(JsonSerializer.Serialize(new Dictionary<string, string> { ["content"] = part }), "null")).Append("\n\n");
        }

        sse.Append("data: ").Append(Chunk("{}", "\"stop\"")).Append("\n\n");
        var usage = $$$"""{"id":"{{{id}}}","object":"chat.completion.chunk","created":1800000000,"model":"gpt-4o-mini-2024-07-18","choices":[],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}""";
        sse.Append("data: ").Append(usage).Append("\n\n");
        return sse.Append("data: [DONE]\n\n").ToString();
    }

    /// <summary>A whole Gemini stream (its own response id and model), with its usage (11 in, 7 out).</summary>
    private static string GeminiStream(params string[] parts)
    {
        var sse = new StringBuilder();
        for (var i = 0; i < parts.Length; i++)
        {
            var text = JsonSerializer.Serialize(parts[i]);
            var end = i == parts.Length - 1
                ? ",\"finishReason\":\"STOP\",\"index\":0}],\"usageMetadata\":{\"promptTokenCount\":11,\"candidatesTokenCount\":7,\"totalTokenCount\":18}"
                : ",\"index\":0}]";
            sse.Append("data: {\"candidates\":[{\"content\":{\"role\":\"model\",\"parts\":[{\"text\":").Append(text).Append("}]}")
                .Append(end).Append(",\"modelVersion\":\"gemini-2.5-flash\",\"responseId\":\"g9\"}\r\n\r\n");
        }

        return sse.ToString();
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string body) =>
        client.SendAsync(StreamPost(body), HttpCompletionOption.ResponseHeadersRead).WaitAsync(s_guard);

    private static HttpRequestMessage StreamPost(string body) =>
        new(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };

    /// <summary>An upstream that records each request body and answers with one stream.</summary>
    private sealed class Recorder
    {
        private readonly ConcurrentQueue<string> _bodies = new();

        public IReadOnlyList<string> Bodies => [.. _bodies];

        public async Task<string> RecordAsync(HttpContext context)
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            _bodies.Enqueue(body);
            return body;
        }

        public RequestDelegate Answer(string sse) => async context =>
        {
            await RecordAsync(context);
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync(sse);
        };
    }
}
