using System.Net;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// SIGTERM, as the host sees it: the lifetime's <see cref="IHostApplicationLifetime.StopApplication"/>, then
/// <see cref="IHost.StopAsync"/> (what <c>app.Run()</c> does on the signal). New requests are refused at once; a
/// stream still running when <c>LlmGateway:ShutdownDrainTimeout</c> is over ends with a <c>server_shutting_down</c>
/// error event and no <c>[DONE]</c>.
/// </summary>
public sealed class GracefulShutdownTests
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(20);
    private const string StreamRequest = """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}""";

    [Fact]
    public async Task StreamStillRunningWhenTheDrainIsOverEndsWithAShutdownErrorEventAndNewRequestsAreRefused()
    {
        var upstreamSawAbort = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await StubUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync($"data: {Sse.Chunk("c1", "one")}\n\ndata: {Sse.Chunk("c1", "two")}\n\n");
            await context.Response.Body.FlushAsync();
            try
            {
                await Task.Delay(Timeout.Infinite, context.RequestAborted); // never finishes by itself
            }
            catch (OperationCanceledException)
            {
                upstreamSawAbort.TrySetResult();
            }
        });
        using var host = new GatewayHost(upstream.BaseUrl, new Dictionary<string, string?> { ["LlmGateway:ShutdownDrainTimeout"] = "00:00:02" });
        var address = host.StartKestrel();
        host.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout
            .Should().Be(TimeSpan.FromSeconds(12), "the thin host gives the host the drain plus a margin");
        using var client = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(StreamRequest, Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(s_guard);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().Be(Sse.Chunk("c1", "one"));

        host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        var stopping = host.Services.GetRequiredService<IHost>().StopAsync();

        (await NewRequestIsRefusedAsync(address)).Should().BeTrue("once stopping began the server takes no new request");
        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().Be(Sse.Chunk("c1", "two"), "what was sent before goes through");
        var last = await Sse.ReadEventAsync(reader).WaitAsync(s_guard);
        using (var error = JsonDocument.Parse(last!))
        {
            var body = error.RootElement.GetProperty("error");
            body.GetProperty("code").GetString().Should().Be("server_shutting_down");
            body.GetProperty("type").GetString().Should().Be("server_error");
        }

        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().BeNull("no [DONE] follows: the stream was cut, not completed");
        await upstreamSawAbort.Task.WaitAsync(s_guard);
        await stopping.WaitAsync(s_guard);
    }

    [Fact]
    public async Task StreamThatFinishesWithinTheDrainCompletesNormally()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var upstream = await StubUpstream.StartAsync(async context =>
        {
            context.Response.ContentType = "text/event-stream";
            await context.Response.WriteAsync($"data: {Sse.Chunk("c1", "one")}\n\n");
            await context.Response.Body.FlushAsync();
            await release.Task.WaitAsync(s_guard);
            await context.Response.WriteAsync($"data: {Sse.Chunk("c1", "two", "stop")}\n\ndata: [DONE]\n\n");
        });
        using var host = new GatewayHost(upstream.BaseUrl, new Dictionary<string, string?> { ["LlmGateway:ShutdownDrainTimeout"] = "00:00:30" });
        var address = host.StartKestrel();
        using var client = new HttpClient { BaseAddress = address };
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(StreamRequest, Encoding.UTF8, "application/json") };
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead).WaitAsync(s_guard);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().Be(Sse.Chunk("c1", "one"));

        host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication();
        var stopping = host.Services.GetRequiredService<IHost>().StopAsync();
        stopping.IsCompleted.Should().BeFalse("the host waits for the running stream");
        release.SetResult();

        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().Be(Sse.Chunk("c1", "two", "stop"));
        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().Be("[DONE]");
        await stopping.WaitAsync(s_guard);
    }

    /// <summary>Sends new requests (each on a new connection) until one is refused, by a closed port or a 503; a
    /// request that gets through was accepted before the server stopped listening. None may hang.</summary>
    private static async Task<bool> NewRequestIsRefusedAsync(Uri address)
    {
        var deadline = DateTime.UtcNow + s_guard;
        while (DateTime.UtcNow < deadline)
        {
            using var fresh = new HttpClient { BaseAddress = address, Timeout = TimeSpan.FromSeconds(5) };
            try
            {
                using var response = await fresh.GetAsync("/health/live");
                if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                return true; // connection refused (or closed at once)
            }

            await Task.Delay(50);
        }

        return false;
    }
}
