using System.Net;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// What depends on timing, against a small Kestrel upstream the test controls step by step. Nothing here sleeps:
/// each step waits for a signal, and a generous timeout only turns a hang into a failure.
/// </summary>
public sealed class StreamingTimingTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(20);
    private const string StreamRequest = """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}""";

    [Fact]
    public async Task FirstChunkReachesTheClientBeforeTheUpstreamHasFinished()
    {
        var clientGotFirstChunk = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await StubUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync($"data: {Sse.Chunk("c1", "first")}\n\n");
            await context.Response.Body.FlushAsync();

            // The upstream does not go on until the client has seen the first chunk: a gateway that buffered
            // the stream would never deliver it, and the test would fail on its guard timeout.
            await clientGotFirstChunk.Task.WaitAsync(s_guard);
            await context.Response.WriteAsync($"data: {Sse.Chunk("c1", "second", "stop")}\n\ndata: [DONE]\n\n");
        });
        using var host = new GatewayHost(upstream.BaseUrl);
        var address = host.StartKestrel();
        using var client = new HttpClient { BaseAddress = address };
        using var response = await PostStreamAsync(client);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());

        var first = await Sse.ReadEventAsync(reader).WaitAsync(s_guard);
        first.Should().Be(Sse.Chunk("c1", "first"));
        clientGotFirstChunk.SetResult();
        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().Be(Sse.Chunk("c1", "second", "stop"));
        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().Be("[DONE]");
    }

    [Fact]
    public async Task SpeechAudioReachesTheClientAsItArrives()
    {
        var clientGotFirstChunk = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await StubUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "audio/mpeg";
            await context.Response.Body.WriteAsync(new byte[] { 1, 2, 3, 4 });
            await context.Response.Body.FlushAsync();
            await clientGotFirstChunk.Task.WaitAsync(s_guard);
            await context.Response.Body.WriteAsync(new byte[] { 5, 6 });
        });
        using var host = new GatewayHost(upstream.BaseUrl);
        var address = host.StartKestrel();
        using var client = new HttpClient { BaseAddress = address };

        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/audio/speech")
        {
            Content = new StringContent("""{"model":"tts-1","input":"Hello","voice":"alloy"}""", Encoding.UTF8, "application/json"),
        };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(s_guard);
        response.Content.Headers.ContentType!.MediaType.Should().Be("audio/mpeg");
        var stream = await response.Content.ReadAsStreamAsync();
        var buffer = new byte[16];

        var first = await stream.ReadAtLeastAsync(buffer, 4).AsTask().WaitAsync(s_guard);
        buffer[..first].Should().Equal(1, 2, 3, 4);
        clientGotFirstChunk.SetResult();
        var rest = await stream.ReadAtLeastAsync(buffer, 2, throwOnEndOfStream: false).AsTask().WaitAsync(s_guard);
        buffer[..rest].Should().Equal(5, 6);
    }

    [Fact]
    public async Task ClientThatDisconnectsCancelsTheUpstreamRequest()
    {
        var upstreamSawAbort = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await StubUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync($"data: {Sse.Chunk("c1", "first")}\n\n");
            await context.Response.Body.FlushAsync();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                upstreamSawAbort.SetResult();
            }
        });
        using var host = new GatewayHost(upstream.BaseUrl);
        var address = host.StartKestrel();

        using (var client = new HttpClient { BaseAddress = address })
        {
            using var response = await PostStreamAsync(client);
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().NotBeNull();
        } // disposing the client closes the connection: the client is gone

        await upstreamSawAbort.Task.WaitAsync(s_guard);
    }

    [Fact]
    public async Task UpstreamConnectionDroppedMidStreamEndsWithAnErrorEventAndNoDone()
    {
        var clientGotFirstChunk = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await StubUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync($"data: {Sse.Chunk("c1", "partial")}\n\n");
            await context.Response.Body.FlushAsync();

            // Drop the connection only once the chunk is through: a reset can discard data not yet read.
            await clientGotFirstChunk.Task.WaitAsync(s_guard);
            context.Abort();
        });
        using var host = new GatewayHost(upstream.BaseUrl);
        var address = host.StartKestrel();
        using var client = new HttpClient { BaseAddress = address };
        using var response = await PostStreamAsync(client);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().Be(Sse.Chunk("c1", "partial"));
        clientGotFirstChunk.SetResult();

        var last = await Sse.ReadEventAsync(reader).WaitAsync(s_guard);
        using var error = JsonDocument.Parse(last!);
        error.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("stream_interrupted");
        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().BeNull("no [DONE] follows an error");
    }

    [Fact]
    public async Task SilentUpstreamStreamTimesOutWithAnErrorEvent()
    {
        var time = new ArmingTimeProvider();
        var idle = TimeSpan.FromSeconds(30);
        await using var upstream = await StubUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync($"data: {Sse.Chunk("c1", "first")}\n\n");
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default);
        });
        using var host = new GatewayHost(
            upstream.BaseUrl,
            // The first-byte deadline gets a length of its own, so the test's waits for the idle timer cannot take
            // it for one.
            new Dictionary<string, string?> { ["LlmGateway:StreamIdleTimeout"] = "00:00:30", ["LlmGateway:FirstTokenTimeout"] = "00:01:00" },
            services => services.AddSingleton<TimeProvider>(time));
        var address = host.StartKestrel();
        using var client = new HttpClient { BaseAddress = address };
        using var response = await PostStreamAsync(client);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().Be(Sse.Chunk("c1", "first"));

        // The idle timer is armed once while waiting for the first event and again while waiting for the second:
        // only then is the gateway waiting on a silent upstream.
        await time.WaitForArmedAsync(idle).WaitAsync(s_guard);
        await time.WaitForArmedAsync(idle).WaitAsync(s_guard);
        time.Fake.Advance(idle + TimeSpan.FromSeconds(1));

        var last = await Sse.ReadEventAsync(reader).WaitAsync(s_guard);
        using var error = JsonDocument.Parse(last!);
        error.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("upstream_timeout");
        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().BeNull("no [DONE] follows an error");
    }

    [Fact]
    public async Task NoFirstTokenWithinTheDeadlineFailsOverToTheNextTarget()
    {
        var time = new ArmingTimeProvider();
        var deadline = TimeSpan.FromSeconds(5);
        await using var silent = await StubUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.Body.FlushAsync();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default);
        });
        await using var healthy = await StubUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync($"data: {Sse.Chunk("c9", "from the second", "stop")}\n\ndata: [DONE]\n\n");
        });
        using var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:FirstTokenTimeout"] = "00:00:05",
            ["LlmGateway:Providers:slow:Type"] = "OpenAI",
            ["LlmGateway:Providers:slow:BaseUrl"] = silent.BaseUrl,
            ["LlmGateway:Providers:fast:Type"] = "OpenAI",
            ["LlmGateway:Providers:fast:BaseUrl"] = healthy.BaseUrl,
            ["LlmGateway:Models:gpt-4o-mini:Targets:0:Provider"] = "slow",
            ["LlmGateway:Models:gpt-4o-mini:Targets:1:Provider"] = "fast",
        }, services => services.AddSingleton<TimeProvider>(time));
        using var client = host.CreateClient();

        var call = client.PostAsync("/v1/chat/completions", new StringContent(StreamRequest, Encoding.UTF8, "application/json"));
        await time.WaitForArmedAsync(deadline).WaitAsync(s_guard);
        time.Fake.Advance(deadline + TimeSpan.FromSeconds(1));
        using var response = await call.WaitAsync(s_guard);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        response.Headers.GetValues("x-llmgateway-provider").Should().Equal("fast");
        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync()).WaitAsync(s_guard);
        events.Should().Equal(Sse.Chunk("c9", "from the second", "stop"), "[DONE]");
    }

    [Fact]
    public async Task UpstreamThatNeverAnswersIsAGatewayTimeout()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var requestArrived = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await StubUpstream.StartAsync(async context =>
        {
            requestArrived.SetResult();
            await Task.Delay(Timeout.Infinite, context.RequestAborted).ContinueWith(static _ => { }, TaskScheduler.Default);
        });
        using var host = new GatewayHost(
            upstream.BaseUrl,
            new Dictionary<string, string?> { ["LlmGateway:RequestTimeout"] = "00:02:00" },
            services => services.AddSingleton<TimeProvider>(time));
        using var client = host.CreateClient();

        var call = client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"));
        await requestArrived.Task.WaitAsync(s_guard);
        time.Advance(TimeSpan.FromMinutes(2) + TimeSpan.FromSeconds(1));
        using var response = await call.WaitAsync(s_guard);

        response.StatusCode.Should().Be(HttpStatusCode.GatewayTimeout);
        (await ChatCompletionsTests.ReadErrorAsync(response)).GetProperty("code").GetString().Should().Be("upstream_timeout");
    }

    /// <summary>Posts the streaming chat request and returns as soon as the headers are in.</summary>
    private static async Task<HttpResponseMessage> PostStreamAsync(HttpClient client)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(StreamRequest, Encoding.UTF8, "application/json") };
        return await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(s_guard);
    }
}
