using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// A configuration change to a JSON file the host watches (as appsettings.json is) applies to new requests without a
/// restart, a stream already running finishes against the upstream it started with, and an invalid change is logged
/// and ignored.
/// </summary>
/// <remarks>
/// The file is watched by polling (<see cref="PhysicalFileProvider.UsePollingFileWatcher"/>, what
/// <c>DOTNET_USE_POLLING_FILE_WATCHER=1</c> turns on for a whole process): inotify watches are a shared, often exhausted
/// resource in CI containers, and polling depends on nothing but the file's timestamp. A change is seen within about
/// four seconds, so every wait polls with a deadline.
/// </remarks>
public sealed class HotReloadTests : IDisposable
{
    private static readonly TimeSpan s_guard = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan s_reloadDeadline = TimeSpan.FromSeconds(30);
    private const string KeyA = "lgw-reload-test-key-a";
    private const string KeyB = "lgw-reload-test-key-b";
    private const string Stream = """{"model":"smart","stream":true,"messages":[{"role":"user","content":"Hi"}]}""";

    private readonly string _directory = Directory.CreateTempSubdirectory("llmgateway-reload-").FullName;
    private readonly CapturingLoggerProvider _logs = new();

    // The rate limits count on a clock that does not move, so a window cannot roll over between two requests.
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 27, 10, 0, 30, TimeSpan.Zero));

    private string ConfigPath => Path.Combine(_directory, "gateway.json");

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task FileChangeAppliesRoutesLimitsAndCacheToNewRequestsWhileARunningStreamFinishesOnItsOriginalUpstream()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var first = await StubUpstream.StartAsync(context => ServeAsync(context, "first", release.Task));
        await using var second = await StubUpstream.StartAsync(context => ServeAsync(context, "second", Task.CompletedTask));
        WriteConfig(Config(first.BaseUrl, second.BaseUrl, target: "first", keyBLimit: 100, cache: false));
        using var gateway = Start();
        var client = gateway.Client;

        using (var before = await ChatAsync(client, KeyA))
        {
            before.StatusCode.Should().Be(HttpStatusCode.OK);
            ServedBy(before).Should().Be("first");
            before.Headers.Contains("X-Cache").Should().BeFalse("the cache is off");
        }

        // A stream starts on the first upstream and stays open across the change.
        using var streamRequest = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(Stream) };
        streamRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", KeyA);
        using var streaming = await client.SendAsync(streamRequest, HttpCompletionOption.ResponseHeadersRead).WaitAsync(s_guard);
        using var reader = new StreamReader(await streaming.Content.ReadAsStreamAsync());
        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().Be(Sse.Chunk("c1", "first-1"));

        WriteConfig(Config(first.BaseUrl, second.BaseUrl, target: "second", keyBLimit: 1, cache: true));
        (await PollAsync(async () =>
        {
            using var response = await ChatAsync(client, KeyA);
            return response.StatusCode == HttpStatusCode.OK && ServedBy(response) == "second";
        })).Should().BeTrue("the alias now points at the second upstream");

        using (var limited1 = await ChatAsync(client, KeyB))
        using (var limited2 = await ChatAsync(client, KeyB))
        {
            limited1.StatusCode.Should().Be(HttpStatusCode.OK);
            limited2.StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "team-b's limit is now 1 request a minute");
        }

        using (var miss = await ChatAsync(client, KeyA, "Same question"))
        using (var hit = await ChatAsync(client, KeyA, "Same question"))
        {
            miss.Headers.GetValues("X-Cache").Single().Should().Be("MISS");
            hit.Headers.GetValues("X-Cache").Single().Should().Be("HIT", "the cache is on now");
        }

        // The stream that started before the change still comes from the first upstream, and completes.
        release.SetResult();
        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().Be(Sse.Chunk("c1", "first-2", "stop"));
        (await Sse.ReadEventAsync(reader).WaitAsync(s_guard)).Should().Be("[DONE]");
    }

    [Fact]
    public async Task InvalidFileChangeIsLoggedAndTheLastGoodConfigurationStays()
    {
        await using var first = await StubUpstream.StartAsync(context => ServeAsync(context, "first", Task.CompletedTask));
        await using var second = await StubUpstream.StartAsync(context => ServeAsync(context, "second", Task.CompletedTask));
        WriteConfig(Config(first.BaseUrl, second.BaseUrl, target: "first", keyBLimit: 100, cache: true));
        using var gateway = Start();
        var client = gateway.Client;
        using (var before = await ChatAsync(client, KeyA))
        {
            ServedBy(before).Should().Be("first");
        }

        // Points the alias elsewhere, and misspells a setting: the whole change must be refused.
        WriteConfig(Config(first.BaseUrl, second.BaseUrl, target: "second", keyBLimit: 100, cache: true).Replace("\"Ttl\"", "\"Tll\"", StringComparison.Ordinal));
        (await PollAsync(() => Task.FromResult(_logs.Lines.Any(static l => l.Contains("configuration change rejected", StringComparison.Ordinal) && l.Contains("Tll", StringComparison.Ordinal)))))
            .Should().BeTrue("the rejected change is logged with what is wrong in it");

        for (var i = 0; i < 3; i++)
        {
            using var after = await ChatAsync(client, KeyA);
            after.StatusCode.Should().Be(HttpStatusCode.OK, "the last good configuration keeps serving");
            ServedBy(after).Should().Be("first");
        }

        using (var limited = await ChatAsync(client, KeyB))
        {
            limited.StatusCode.Should().Be(HttpStatusCode.OK, "the keys of the last good configuration still authenticate");
        }

        _logs.Lines.Where(static l => l.StartsWith("Error", StringComparison.Ordinal) || l.StartsWith("Critical", StringComparison.Ordinal))
            .Should().OnlyContain(static l => l.Contains("configuration change rejected", StringComparison.Ordinal), "nothing but the refused change is an error");

        // A valid change afterwards applies again.
        WriteConfig(Config(first.BaseUrl, second.BaseUrl, target: "second", keyBLimit: 100, cache: true));
        (await PollAsync(async () =>
        {
            using var response = await ChatAsync(client, KeyA);
            return response.StatusCode == HttpStatusCode.OK && ServedBy(response) == "second";
        })).Should().BeTrue("a later valid change is applied");
    }

    private static async Task ServeAsync(HttpContext context, string name, Task release)
    {
        using var body = new StreamReader(context.Request.Body);
        var request = await body.ReadToEndAsync();
        if (!request.Contains("\"stream\":true", StringComparison.Ordinal))
        {
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(Bodies.ChatCompletion);
            return;
        }

        context.Response.ContentType = "text/event-stream";
        await context.Response.WriteAsync($"data: {Sse.Chunk("c1", name + "-1")}\n\n");
        await context.Response.Body.FlushAsync();
        await release.WaitAsync(s_guard);
        await context.Response.WriteAsync($"data: {Sse.Chunk("c1", name + "-2", "stop")}\n\ndata: [DONE]\n\n");
    }

    private RunningGateway Start()
    {
        var host = new GatewayHost(openAIBaseUrl: null, configureServices: services =>
        {
            services.AddSingleton<ILoggerProvider>(_logs);
            services.AddSingleton<TimeProvider>(_clock);
        })
        {
            ConfigureConfiguration = config => config.AddJsonFile(
                new PhysicalFileProvider(_directory) { UsePollingFileWatcher = true, UseActivePolling = true },
                Path.GetFileName(ConfigPath),
                optional: false,
                reloadOnChange: true),
        };
        var address = host.StartKestrel();
        return new RunningGateway(host, new HttpClient { BaseAddress = address });
    }

    private static string Config(string firstUrl, string secondUrl, string target, int keyBLimit, bool cache) => $$"""
        {
          "LlmGateway": {
            "Auth": {
              "Mode": "Gateway",
              "Keys": [
                { "Name": "team-a", "Key": "{{KeyA}}" },
                { "Name": "team-b", "Key": "{{KeyB}}", "RequestsPerMinute": {{keyBLimit}} }
              ]
            },
            "Providers": {
              "first": { "Type": "OpenAI", "BaseUrl": "{{firstUrl}}", "ApiKey": "{{TestKeys.Upstream}}" },
              "second": { "Type": "OpenAI", "BaseUrl": "{{secondUrl}}", "ApiKey": "{{TestKeys.Upstream}}" }
            },
            "Models": {
              "smart": { "Targets": [ { "Provider": "{{target}}", "Model": "gpt-4o-mini" } ] }
            },
            "Cache": { "Enabled": {{(cache ? "true" : "false")}}, "Ttl": "00:10:00" }
          }
        }
        """;

    /// <summary>Replaces the file in one step (write aside, then rename), as editors and deployment tools do, so the
    /// watcher never reads a half-written file.</summary>
    private void WriteConfig(string json)
    {
        var staging = ConfigPath + ".tmp";
        File.WriteAllText(staging, json);
        File.Move(staging, ConfigPath, overwrite: true);
    }

    /// <summary>A chat request; each one different (so none is a cache hit) unless the test names the content.</summary>
    private static async Task<HttpResponseMessage> ChatAsync(HttpClient client, string key, string? content = null)
    {
        var body = $$"""{"model":"smart","messages":[{"role":"user","content":"{{content ?? Guid.NewGuid().ToString("N")}}"}]}""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Json(body) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await client.SendAsync(request).WaitAsync(s_guard);
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static string? ServedBy(HttpResponseMessage response) =>
        response.Headers.TryGetValues("x-llmgateway-provider", out var values) ? values.Single() : null;

    /// <summary>Polls until the condition holds or the deadline passes: the file watcher is asynchronous.</summary>
    private static async Task<bool> PollAsync(Func<Task<bool>> condition)
    {
        var deadline = DateTime.UtcNow + s_reloadDeadline;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(100);
        }

        return await condition();
    }
}
