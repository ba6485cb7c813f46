using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// One gateway key whose requests make the upstream fail cannot open a circuit for the other keys: its burst holds
/// back only that key, the other key is served throughout and after, readiness stays up, and <c>/health</c> shows the
/// held-back caller (as a count, naming no key).
/// </summary>
public sealed class CircuitIsolationTests : IDisposable
{
    private const string KeyA = "lgw-circuit-isolation-key-a-0001";
    private const string KeyB = "lgw-circuit-isolation-key-b-0002";
    private const string Poison = "make-the-upstream-fail";
    private readonly WireMockServer _upstream = WireMockServer.Start();

    public CircuitIsolationTests()
    {
        // The upstream fails on the marker in the body, whoever sends it; Retry-After: 0 makes the gateway's own
        // retries immediate, so the frozen clock never needs to move.
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost().WithBody((string? b) => b is not null && b.Contains(Poison, StringComparison.Ordinal)))
            .RespondWith(Response.Create().WithStatusCode(500).WithHeader("Retry-After", "0").WithHeader("Content-Type", "application/json")
                .WithBody("""{"error":{"message":"boom","type":"server_error","param":null,"code":null}}"""));
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost().WithBody((string? b) => b is not null && !b.Contains(Poison, StringComparison.Ordinal)))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
    }

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
    }

    [Fact]
    public async Task OneKeysFailingBurstHoldsBackThatKeyOnlyAndLeavesTheGatewayReady()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?>
        {
            ["LlmGateway:Auth:Mode"] = "Gateway",
            ["LlmGateway:Auth:Keys:0:Key"] = KeyA,
            ["LlmGateway:Auth:Keys:0:Name"] = "tenant-a",
            ["LlmGateway:Auth:Keys:1:Key"] = KeyB,
            ["LlmGateway:Auth:Keys:1:Name"] = "tenant-b",
        }, services => services.AddSingleton<TimeProvider>(clock));
        using var client = host.CreateClient();
        using (var first = await ChatAsync(client, KeyB, "Hi"))
        {
            first.StatusCode.Should().Be(HttpStatusCode.OK);
        }

        // Eight parallel requests of key A that the upstream answers 500 (each retried twice), while key B goes on.
        var burst = Enumerable.Range(0, 8).Select(_ => ChatAsync(client, KeyA, Poison)).ToList();
        var alongside = Enumerable.Range(0, 8).Select(_ => ChatAsync(client, KeyB, "Hi")).ToList();
        var attackerAnswers = await Task.WhenAll(burst);
        var otherAnswers = await Task.WhenAll(alongside);
        attackerAnswers.Select(static r => r.StatusCode).Should().OnlyContain(static s => s == HttpStatusCode.InternalServerError || s == HttpStatusCode.ServiceUnavailable);
        otherAnswers.Select(static r => r.StatusCode).Should().OnlyContain(static s => s == HttpStatusCode.OK, "key B is served throughout key A's burst");
        foreach (var response in attackerAnswers.Concat(otherAnswers))
        {
            response.Dispose();
        }

        for (var i = 0; i < 3; i++)
        {
            using var served = await ChatAsync(client, KeyB, "Hi");
            served.StatusCode.Should().Be(HttpStatusCode.OK, "key B is served right after the burst too");
        }

        // Key A is held back now, even with a request the upstream would answer.
        for (var i = 0; i < 3; i++)
        {
            using var held = await ChatAsync(client, KeyA, "Hi");
            held.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable);
            held.Headers.Contains("Retry-After").Should().BeTrue();
            var error = await ChatCompletionsTests.ReadErrorAsync(held);
            error.GetProperty("code").GetString().Should().Be("upstream_unavailable");
            error.GetProperty("message").GetString().Should().Contain("this caller's");
        }

        using (var ready = await client.GetAsync("/health/ready"))
        {
            ready.StatusCode.Should().Be(HttpStatusCode.OK, "readiness reflects this process, not upstream circuits");
        }

        using var health = await client.GetAsync("/health");
        health.StatusCode.Should().Be(HttpStatusCode.OK);
        var body = await health.Content.ReadAsStringAsync();
        using var report = JsonDocument.Parse(body);
        report.RootElement.GetProperty("status").GetString().Should().Be("Degraded");
        var targets = report.RootElement.GetProperty("checks").GetProperty("llmgateway-targets");
        targets.GetProperty("status").GetString().Should().Be("Degraded");
        targets.GetProperty("data").GetProperty("openai/gpt-4o-mini").GetString().Should().StartWith("closed").And.Contain("1 caller(s) held back");
        body.Should().NotContain("tenant-a").And.NotContain(KeyA);
    }

    private static async Task<HttpResponseMessage> ChatAsync(HttpClient client, string key, string content)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"{{content}}"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        return await client.SendAsync(request);
    }
}
