using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using LlmGateway.Tests.Infrastructure;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>Two gateway hosts sharing one real redis-server: cache entries made on one answer the other; a tenant's
/// entries stay its own; a Redis outage fails nothing.</summary>
public sealed class SharedCacheTests : IClassFixture<RedisServer>, IDisposable
{
    private const string KeyA = "lgw-shared-cache-key-a";
    private const string KeyB = "lgw-shared-cache-key-b";
    private const string AdminKey = "shared-cache-admin-key";
    private const string Chat = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""";
    private const string Stream = """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Stream please"}]}""";
    private readonly RedisServer _redis;
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly string _prefix = RedisServer.UniquePrefix();

    public SharedCacheTests(RedisServer redis)
    {
        _redis = redis;
        _redis.Start();
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost().WithBody((string? b) => b is not null && !b.Contains("\"stream\":true", StringComparison.Ordinal)))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        var events = new[] { Sse.Chunk("c9", "Str"), Sse.Chunk("c9", "eam", "stop"), "[DONE]" };
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost().WithBody((string? b) => b is not null && b.Contains("\"stream\":true", StringComparison.Ordinal)))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(string.Concat(events.Select(e => $"data: {e}\n\n"))));
    }

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
    }

    private RunningGateway Instance()
    {
        var host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?>
        {
            ["LlmGateway:Redis"] = _redis.ConnectionString,
            ["LlmGateway:RedisKeyPrefix"] = _prefix,
            ["LlmGateway:Auth:Mode"] = "Gateway",
            ["LlmGateway:Auth:AdminKey"] = AdminKey,
            ["LlmGateway:Auth:Keys:0:Key"] = KeyA,
            ["LlmGateway:Auth:Keys:0:Name"] = "team-a",
            ["LlmGateway:Auth:Keys:1:Key"] = KeyB,
            ["LlmGateway:Auth:Keys:1:Name"] = "team-b",
            ["LlmGateway:Cache:Enabled"] = "true",
        });
        var address = host.StartKestrel();
        return new RunningGateway(host, new HttpClient { BaseAddress = address });
    }

    private static async Task<(HttpStatusCode Status, string? Cache, string Body)> PostAsync(HttpClient client, string body, string key = KeyA, string path = "/v1/chat/completions")
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.SendAsync(request);
        var cache = response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null;
        return (response.StatusCode, cache, await response.Content.ReadAsStringAsync());
    }

    private int UpstreamCalls => _upstream.LogEntries.Count;

    [Fact]
    public async Task AnEntryMadeOnOneInstanceAnswersTheOtherStreamedOrNotButNotAnotherTenant()
    {
        using var a = Instance();
        using var b = Instance();

        var missA = await PostAsync(a.Client, Chat);
        var hitB = await PostAsync(b.Client, Chat);
        var streamMissA = await PostAsync(a.Client, Stream);
        var streamHitB = await PostAsync(b.Client, Stream);
        var otherTenantB = await PostAsync(b.Client, Chat, KeyB);

        missA.Cache.Should().Be("MISS");
        hitB.Cache.Should().Be("HIT");
        hitB.Body.Should().Be(missA.Body);
        streamMissA.Cache.Should().Be("MISS");
        streamHitB.Cache.Should().Be("HIT");
        streamHitB.Body.Should().Be(streamMissA.Body, "the stream is replayed byte for byte");
        otherTenantB.Cache.Should().Be("MISS");
        UpstreamCalls.Should().Be(3);
    }

    [Fact]
    public async Task APurgeThroughOneInstanceReachesTheOthersMemory()
    {
        using var a = Instance();
        using var b = Instance();
        await PostAsync(a.Client, Chat);
        (await PostAsync(b.Client, Chat)).Cache.Should().Be("HIT"); // now also in B's memory

        var purge = await PostAsync(a.Client, "{}", AdminKey, "/admin/cache/purge");
        purge.Status.Should().Be(HttpStatusCode.OK);

        // The purge reaches B's memory through Redis pub/sub: poll until B misses (it must, soon).
        var deadline = DateTime.UtcNow.AddSeconds(10);
        string? cache;
        while ((cache = (await PostAsync(b.Client, Chat)).Cache) == "HIT" && DateTime.UtcNow < deadline)
        {
            await Task.Yield();
        }

        cache.Should().Be("MISS");
    }

    [Fact]
    public async Task WithRedisStoppedMidRunNoRequestFails()
    {
        using var a = Instance();
        using var b = Instance();
        (await PostAsync(a.Client, Chat)).Status.Should().Be(HttpStatusCode.OK);

        _redis.Stop();
        for (var i = 0; i < 4; i++)
        {
            (await PostAsync(i % 2 == 0 ? a.Client : b.Client, Chat)).Status.Should().Be(HttpStatusCode.OK);
            (await PostAsync(i % 2 == 0 ? b.Client : a.Client, Stream)).Status.Should().Be(HttpStatusCode.OK);
        }

        _redis.Start();
        (await PostAsync(b.Client, Chat)).Status.Should().Be(HttpStatusCode.OK);
    }

}
