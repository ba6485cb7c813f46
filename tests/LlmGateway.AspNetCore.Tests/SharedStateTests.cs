using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// Two gateway hosts (each on Kestrel, each with its own Redis connection) and one real redis-server: keys, limits
/// and usage are shared, and a Redis outage does not fail requests.
/// </summary>
public sealed class SharedStateTests : IClassFixture<RedisServer>, IDisposable
{
    private const string Key = "lgw-shared-state-key";
    private const string AdminKey = "shared-state-admin-key";
    private readonly RedisServer _redis;
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly string _prefix = RedisServer.UniquePrefix();

    public SharedStateTests(RedisServer redis)
    {
        _redis = redis;
        _redis.Start(); // a previous test may have stopped it
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
    }

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
    }

    private RunningGateway Instance(params (string Key, string Value)[] policy) => Instance(null, policy);

    private RunningGateway Instance(Dictionary<string, string?>? more, params (string Key, string Value)[] policy)
    {
        var settings = new Dictionary<string, string?>
        {
            ["LlmGateway:Redis"] = _redis.ConnectionString,
            ["LlmGateway:RedisKeyPrefix"] = _prefix,
            ["LlmGateway:Auth:Mode"] = "Gateway",
            ["LlmGateway:Auth:AdminKey"] = AdminKey,
            ["LlmGateway:Auth:Keys:0:Key"] = Key,
            ["LlmGateway:Auth:Keys:0:Name"] = "shared",
        };
        foreach (var (key, value) in policy)
        {
            settings["LlmGateway:Auth:Keys:0:" + key] = value;
        }

        foreach (var (key, value) in more ?? [])
        {
            settings[key] = value;
        }

        var host = new GatewayHost(_upstream.Urls[0] + "/v1", settings);
        var address = host.StartKestrel();
        return new RunningGateway(host, new HttpClient { BaseAddress = address });
    }

    private static async Task<HttpStatusCode> ChatAsync(HttpClient client, string key = Key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Theory]
    [InlineData("FixedWindow")]
    [InlineData("SlidingWindow")]
    [InlineData("TokenBucket")]
    public async Task ARequestLimitLetsExactlyNThroughAcrossBothInstances(string strategy)
    {
        // 7 per minute: no refill can free a whole request during the run; a fixed window's minute must not end
        // mid-run (that window's edge lets 7 more through, as it should), so a run about to cross one waits for it.
        // Redis's clock is this machine's.
        var untilNextMinute = TimeSpan.FromMinutes(1) - TimeSpan.FromTicks(DateTime.UtcNow.Ticks % TimeSpan.TicksPerMinute);
        if (untilNextMinute < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(untilNextMinute + TimeSpan.FromMilliseconds(50));
        }

        using var a = Instance(("RequestsPerMinute", "7"), ("Strategy", strategy));
        using var b = Instance(("RequestsPerMinute", "7"), ("Strategy", strategy));
        var calls = Enumerable.Range(0, 20).Select(i => ChatAsync(i % 2 == 0 ? a.Client : b.Client));
        var statuses = await Task.WhenAll(calls);

        statuses.Count(s => s == HttpStatusCode.OK).Should().Be(7, "the limit is shared: 7 in all, not 7 per instance");
        statuses.Count(s => s == HttpStatusCode.TooManyRequests).Should().Be(13);
        _upstream.LogEntries.Should().HaveCount(7);
    }

    [Fact]
    public async Task UsageAddsUpAcrossBothInstances()
    {
        using var a = Instance();
        using var b = Instance();
        for (var i = 0; i < 3; i++)
        {
            (await ChatAsync(a.Client)).Should().Be(HttpStatusCode.OK);
        }

        for (var i = 0; i < 2; i++)
        {
            (await ChatAsync(b.Client)).Should().Be(HttpStatusCode.OK);
        }

        foreach (var host in new[] { a.Host, b.Host })
        {
            var usage = await host.Services.GetRequiredService<IUsageStore>().ListAsync("shared", UsagePeriod.Day, DateTimeOffset.UtcNow, default);
            var entry = usage.Should().ContainSingle().Subject;
            entry.Requests.Should().Be(5);
            entry.PromptTokens.Should().Be(45);
            entry.CompletionTokens.Should().Be(15);
        }
    }

    [Fact]
    public async Task AKeyCreatedThroughOneInstancesAdminApiWorksOnTheOtherAtOnceAndRevocationToo()
    {
        using var a = Instance();
        using var b = Instance();
        using var create = new HttpRequestMessage(HttpMethod.Post, "/admin/keys") { Content = JsonContent.Create(new { name = "made-on-a", requests_per_minute = 100 }) };
        create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var created = await a.Client.SendAsync(create);
        created.StatusCode.Should().Be(HttpStatusCode.Created);
        using var document = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
        var newKey = document.RootElement.GetProperty("key").GetString()!;
        var id = document.RootElement.GetProperty("id").GetString()!;

        (await ChatAsync(b.Client, newKey)).Should().Be(HttpStatusCode.OK);

        using var revoke = new HttpRequestMessage(HttpMethod.Delete, $"/admin/keys/{id}");
        revoke.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        (await a.Client.SendAsync(revoke)).EnsureSuccessStatusCode();

        // The revocation reaches the other instance through Redis pub/sub; it may take a moment, never long.
        var deadline = DateTime.UtcNow.AddSeconds(10);
        HttpStatusCode status;
        while ((status = await ChatAsync(b.Client, newKey)) == HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Yield();
        }

        status.Should().Be(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task AStoredResponseBelongsToItsCreatorOnEveryInstanceAndAfterARestart()
    {
        const string Other = "lgw-shared-state-other-key";
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost()).RespondWith(Response.Create().WithStatusCode(200)
            .WithHeader("Content-Type", "application/json").WithBody("""{"id":"resp_shared1","object":"response","status":"completed","model":"gpt-4.1","output":[]}"""));
        _upstream.Given(Request.Create().WithPath("/v1/responses/resp_shared1").UsingGet()).RespondWith(Response.Create().WithStatusCode(200)
            .WithHeader("Content-Type", "application/json").WithBody("""{"id":"resp_shared1","object":"response","status":"completed","model":"gpt-4.1","output":[]}"""));
        var more = new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:openai:UseResponsesApi"] = "true",
            ["LlmGateway:Auth:Keys:1:Key"] = Other,
            ["LlmGateway:Auth:Keys:1:Name"] = "other",
        };
        using var b = Instance(more);
        using (var a = Instance(more))
        {
            var (created, _) = await ResourceOwnershipTests.SendAsync(a.Client, Key, HttpMethod.Post, "/v1/responses", """{"model":"gpt-4.1","input":"hi"}""");
            created.Should().Be(HttpStatusCode.OK);
        }

        _upstream.ResetLogEntries();
        var (refused, refusal) = await ResourceOwnershipTests.SendAsync(b.Client, Other, HttpMethod.Get, "/v1/responses/resp_shared1");
        var (continued, _) = await ResourceOwnershipTests.SendAsync(b.Client, Other, HttpMethod.Post, "/v1/responses", """{"model":"gpt-4.1","input":"more","previous_response_id":"resp_shared1"}""");
        _upstream.LogEntries.Should().BeEmpty("the other key's requests stop at the gateway");
        var (served, _) = await ResourceOwnershipTests.SendAsync(b.Client, Key, HttpMethod.Get, "/v1/responses/resp_shared1");
        using var restarted = Instance(more);
        var (servedAfterRestart, _) = await ResourceOwnershipTests.SendAsync(restarted.Client, Key, HttpMethod.Get, "/v1/responses/resp_shared1");
        var (refusedAfterRestart, _) = await ResourceOwnershipTests.SendAsync(restarted.Client, Other, HttpMethod.Get, "/v1/responses/resp_shared1");

        refused.Should().Be(HttpStatusCode.NotFound);
        refusal.Should().Contain("Response with id 'resp_shared1' not found.");
        continued.Should().Be(HttpStatusCode.NotFound);
        served.Should().Be(HttpStatusCode.OK, "the creator is served on the other instance");
        servedAfterRestart.Should().Be(HttpStatusCode.OK, "the record outlives the instance that made it");
        refusedAfterRestart.Should().Be(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task WithRedisStoppedAStoredResponseWhoseOwnerCannotBeToldIsA503NotAnotherKeysToRead()
    {
        const string Other = "lgw-shared-state-other-key";
        _upstream.Given(Request.Create().WithPath("/v1/responses").UsingPost()).RespondWith(Response.Create().WithStatusCode(200)
            .WithHeader("Content-Type", "application/json").WithBody("""{"id":"resp_outage1","object":"response","status":"completed","model":"gpt-4.1","output":[]}"""));
        _upstream.Given(Request.Create().WithPath("/v1/responses/resp_outage1").UsingGet()).RespondWith(Response.Create().WithStatusCode(200)
            .WithHeader("Content-Type", "application/json").WithBody("""{"id":"resp_outage1","object":"response","status":"completed","model":"gpt-4.1","output":[]}"""));
        var more = new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:openai:UseResponsesApi"] = "true",
            ["LlmGateway:Auth:Keys:1:Key"] = Other,
            ["LlmGateway:Auth:Keys:1:Name"] = "other",
        };
        using var a = Instance(more);
        using var b = Instance(more);
        (await ResourceOwnershipTests.SendAsync(a.Client, Key, HttpMethod.Post, "/v1/responses", """{"model":"gpt-4.1","input":"hi"}""")).Status.Should().Be(HttpStatusCode.OK);

        _redis.Stop();
        try
        {
            var (unknownOwner, body) = await ResourceOwnershipTests.SendAsync(b.Client, Other, HttpMethod.Get, "/v1/responses/resp_outage1");
            var (ownerWhereMade, _) = await ResourceOwnershipTests.SendAsync(a.Client, Key, HttpMethod.Get, "/v1/responses/resp_outage1");
            var (otherWhereMade, _) = await ResourceOwnershipTests.SendAsync(a.Client, Other, HttpMethod.Get, "/v1/responses/resp_outage1");

            unknownOwner.Should().Be(HttpStatusCode.ServiceUnavailable, "instance b cannot tell whose it is");
            using (var envelope = JsonDocument.Parse(body))
            {
                envelope.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("service_unavailable");
            }

            ownerWhereMade.Should().Be(HttpStatusCode.OK, "instance a recorded it, and keeps that record in memory");
            otherWhereMade.Should().Be(HttpStatusCode.NotFound);
        }
        finally
        {
            _redis.Start();
        }
    }

    [Fact]
    public async Task WithRedisStoppedMidRunRequestsKeepBeingServedAndHealthSaysSo()
    {
        using var a = Instance(("RequestsPerMinute", "1000"));
        using var b = Instance(("RequestsPerMinute", "1000"));
        (await ChatAsync(a.Client)).Should().Be(HttpStatusCode.OK);
        (await ChatAsync(b.Client)).Should().Be(HttpStatusCode.OK);

        _redis.Stop();
        for (var i = 0; i < 6; i++)
        {
            (await ChatAsync(i % 2 == 0 ? a.Client : b.Client)).Should().Be(HttpStatusCode.OK, "an outage of the shared store must not fail requests");
        }

        var health = await a.Client.GetStringAsync("/health");
        using (var report = JsonDocument.Parse(health))
        {
            report.RootElement.GetProperty("checks").GetProperty("llmgateway-redis").GetProperty("status").GetString().Should().Be("Degraded");
        }

        _redis.Start();
        // The client library reconnects in the background; poll the health report until it sees Redis again.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var redisStatus = await RedisStatusAsync(a.Client);
        while (redisStatus != "Healthy" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            redisStatus = await RedisStatusAsync(a.Client);
        }

        redisStatus.Should().Be("Healthy");
        (await ChatAsync(a.Client)).Should().Be(HttpStatusCode.OK);
        (await ChatAsync(b.Client)).Should().Be(HttpStatusCode.OK);
    }

    private static async Task<string> RedisStatusAsync(HttpClient client)
    {
        using var report = JsonDocument.Parse(await client.GetStringAsync("/health"));
        return report.RootElement.GetProperty("checks").GetProperty("llmgateway-redis").GetProperty("status").GetString()!;
    }
}
