using System.Net;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// <c>/health/ready</c> says whether this process should get traffic: 503 while Redis is configured and away, or
/// while no provider instance is usable (each lacks its key), and 200 again once that is over, whatever the upstreams'
/// circuits say; <c>/health/live</c> only says the process answers; <c>/health</c> reports everything, circuits
/// included, with no secret.
/// </summary>
public sealed class ReadinessTests : IDisposable
{
    private const string UpstreamSecret = "sk-readiness-secret-upstream-key";
    private readonly WireMockServer _upstream = WireMockServer.Start();

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
    }

    [Fact]
    public async Task EveryTargetsCircuitOpenLeavesTheGatewayReadyAndShowsInTheFullReport()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(503).WithHeader("Content-Type", "application/json").WithHeader("Retry-After", "60")
                .WithBody("""{"error":{"message":"down","type":"server_error","param":null,"code":null}}"""));

        // Retry-After longer than the gateway waits out itself: no retry on the fake clock, and the circuit opens
        // for that long (mode None: the one caller stands for every client, so it opens for everyone).
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:openai:BaseUrl"] = _upstream.Urls[0] + "/v1",
            ["LlmGateway:Providers:openai:ApiKey"] = UpstreamSecret,
            ["LlmGateway:Circuit:FailureThreshold"] = "1",
        }, services => services.AddSingleton<TimeProvider>(clock));
        using var client = host.CreateClient();
        (await StatusAsync(client, "/health/ready")).Should().Be(HttpStatusCode.OK);

        using (var failed = await ChatAsync(client))
        {
            failed.IsSuccessStatusCode.Should().BeFalse();
        }

        using (var ready = await client.GetAsync("/health/ready"))
        {
            ready.StatusCode.Should().Be(HttpStatusCode.OK, "an upstream's state says nothing about this process, and every replica would see the same");
            using var report = JsonDocument.Parse(await ready.Content.ReadAsStringAsync());
            var data = report.RootElement.GetProperty("checks").GetProperty("llmgateway").GetProperty("data");
            data.GetProperty("openai").GetString().Should().Be("usable");
            data.GetProperty("gemini").GetString().Should().StartWith("not configured");
            report.RootElement.GetProperty("checks").TryGetProperty("llmgateway-targets", out _).Should().BeFalse("circuits are not part of readiness");
        }

        (await StatusAsync(client, "/health/live")).Should().Be(HttpStatusCode.OK);
        using (var health = await client.GetAsync("/health"))
        {
            health.StatusCode.Should().Be(HttpStatusCode.OK, "an open circuit degrades the gateway, it does not take it down");
            using var report = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
            report.RootElement.GetProperty("status").GetString().Should().Be("Degraded");
            report.RootElement.GetProperty("checks").GetProperty("llmgateway-targets").GetProperty("data").GetProperty("openai/gpt-4o-mini").GetString().Should().StartWith("open until");
        }
    }

    [Fact]
    public async Task OneOpenCircuitAmongUsableInstancesKeepsTheGatewayReady()
    {
        _upstream.Given(Request.Create().WithPath("/primary/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(503).WithBody("""{"error":{"message":"down","type":"server_error","param":null,"code":null}}"""));
        _upstream.Given(Request.Create().WithPath("/secondary/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        using var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:primary:Type"] = "OpenAI",
            ["LlmGateway:Providers:primary:BaseUrl"] = _upstream.Urls[0] + "/primary/v1",
            ["LlmGateway:Providers:secondary:Type"] = "OpenAI",
            ["LlmGateway:Providers:secondary:BaseUrl"] = _upstream.Urls[0] + "/secondary/v1",
            ["LlmGateway:Models:gpt-4o-mini:Targets:0:Provider"] = "primary",
            ["LlmGateway:Models:gpt-4o-mini:Targets:1:Provider"] = "secondary",
            ["LlmGateway:Circuit:FailureThreshold"] = "1",
        });
        using var client = host.CreateClient();

        using (var served = await ChatAsync(client))
        {
            served.StatusCode.Should().Be(HttpStatusCode.OK, "the secondary answered");
        }

        (await StatusAsync(client, "/health/ready")).Should().Be(HttpStatusCode.OK, "one open circuit degrades the gateway, it does not take it out of rotation");
        using var health = JsonDocument.Parse(await client.GetStringAsync("/health"));
        health.RootElement.GetProperty("status").GetString().Should().Be("Degraded");
    }

    [Fact]
    public async Task NoInstanceWithAKeyIsNotReadyUnlessCallersBringTheirOwn()
    {
        using (var host = new GatewayHost(openAIBaseUrl: null))
        using (var client = host.CreateClient())
        {
            using var ready = await client.GetAsync("/health/ready");
            ready.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            var body = await ready.Content.ReadAsStringAsync();
            body.Should().Contain("LlmGateway:Providers:openai:ApiKey", "the report names the setting to add");
        }

        using (var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?> { ["LlmGateway:Auth:Mode"] = "Client" }))
        using (var client = host.CreateClient())
        {
            (await StatusAsync(client, "/health/ready")).Should().Be(HttpStatusCode.OK, "in Client mode each caller brings the provider key");
        }
    }

    [Fact]
    public async Task HealthReportNamesInstancesButNeverAKey()
    {
        using var host = new GatewayHost(openAIBaseUrl: null, new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:openai:BaseUrl"] = _upstream.Urls[0] + "/v1",
            ["LlmGateway:Providers:openai:ApiKey"] = UpstreamSecret,
            ["LlmGateway:Auth:Mode"] = "Gateway",
            ["LlmGateway:Auth:AdminKey"] = "readiness-admin-secret",
            ["LlmGateway:Auth:Keys:0:Key"] = "lgw-readiness-secret-gateway-key",
            ["LlmGateway:Auth:Keys:0:Name"] = "team-a",
        });
        using var client = host.CreateClient();

        var health = await client.GetStringAsync("/health");
        var ready = await client.GetStringAsync("/health/ready");

        foreach (var body in new[] { health, ready })
        {
            body.Should().Contain("openai").And.NotContain(UpstreamSecret).And.NotContain("readiness-admin-secret").And.NotContain("lgw-readiness-secret-gateway-key");
        }
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, string path)
    {
        using var response = await client.GetAsync(path);
        return response.StatusCode;
    }

    private static Task<HttpResponseMessage> ChatAsync(HttpClient client) =>
        client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"));
}

/// <summary>With Redis configured, readiness follows it: 503 while it is away (requests are still served from the
/// per-instance fallback, and <c>/health</c> says Degraded with 200), 200 once it is back.</summary>
public sealed class RedisReadinessTests : IClassFixture<RedisServer>, IDisposable
{
    private readonly RedisServer _redis;
    private readonly WireMockServer _upstream = WireMockServer.Start();

    public RedisReadinessTests(RedisServer redis)
    {
        _redis = redis;
        _redis.Start(); // a previous test may have stopped it
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
    }

    public void Dispose()
    {
        _redis.Start();
        _upstream.Stop();
        _upstream.Dispose();
    }

    [Fact]
    public async Task ReadinessFailsWhileRedisIsDownAndComesBackWithIt()
    {
        using var host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?>
        {
            ["LlmGateway:Redis"] = _redis.ConnectionString,
            ["LlmGateway:RedisKeyPrefix"] = RedisServer.UniquePrefix(),
        });
        var address = host.StartKestrel();
        using var client = new HttpClient { BaseAddress = address };
        (await PollStatusAsync(client, "/health/ready", HttpStatusCode.OK)).Should().Be(HttpStatusCode.OK);

        _redis.Stop();
        (await PollStatusAsync(client, "/health/ready", HttpStatusCode.ServiceUnavailable)).Should().Be(HttpStatusCode.ServiceUnavailable, "Redis is configured and away");
        using (var health = await client.GetAsync("/health"))
        {
            health.StatusCode.Should().Be(HttpStatusCode.OK, "for the full report an outage of the shared store is Degraded, not down");
            using var report = JsonDocument.Parse(await health.Content.ReadAsStringAsync());
            report.RootElement.GetProperty("checks").GetProperty("llmgateway-redis").GetProperty("status").GetString().Should().Be("Degraded");
        }

        using (var chat = await client.PostAsync("/v1/chat/completions", new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json")))
        {
            chat.StatusCode.Should().Be(HttpStatusCode.OK, "requests are still served meanwhile");
        }

        _redis.Start();
        (await PollStatusAsync(client, "/health/ready", HttpStatusCode.OK)).Should().Be(HttpStatusCode.OK, "the client library reconnects in the background");
    }

    /// <summary>Polls until the status is the expected one or a deadline passes: the Redis client notices a stopped
    /// or restarted server asynchronously.</summary>
    private static async Task<HttpStatusCode> PollStatusAsync(HttpClient client, string path, HttpStatusCode expected)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            using var response = await client.GetAsync(path);
            if (response.StatusCode == expected || DateTime.UtcNow > deadline)
            {
                return response.StatusCode;
            }

            await Task.Delay(100);
        }
    }
}
