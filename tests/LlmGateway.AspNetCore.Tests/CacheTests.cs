using System.Globalization;
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

/// <summary>The response cache through the endpoints, one gateway process (memory level), on a fake clock.</summary>
public sealed class CacheTests : IDisposable
{
    private const string KeyA = "lgw-cache-test-key-a";
    private const string KeyB = "lgw-cache-test-key-b";
    private const string AdminKey = "cache-test-admin-key";
    private const string Request1 = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}],"temperature":0}""";
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 27, 10, 0, 0, TimeSpan.Zero));

    public CacheTests()
    {
        GivenChat(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        GivenStream(Sse.Chunk("c1", "Hel"), Sse.Chunk("c1", "lo", "stop"), UsageChunk, "[DONE]");
        _upstream.Given(Request.Create().WithPath("/v1/embeddings").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.Embeddings));
    }

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
    }

    private const string UsageChunk = """{"id":"c1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9}}""";

    private void GivenChat(IResponseBuilder response) =>
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost().WithBody((string? b) => b is not null && !b.Contains("\"stream\":true", StringComparison.Ordinal)))
            .RespondWith(response);

    private void GivenStream(params string[] events) =>
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost().WithBody((string? b) => b is not null && b.Contains("\"stream\":true", StringComparison.Ordinal)))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(string.Concat(events.Select(e => $"data: {e}\n\n"))));

    private int UpstreamCalls(string path = "/v1/chat/completions") => _upstream.LogEntries.Count(e => e.RequestMessage.Path == path);

    private GatewayHost Host(params (string Key, string? Value)[] extra)
    {
        var settings = new Dictionary<string, string?>
        {
            ["LlmGateway:Auth:Mode"] = "Gateway",
            ["LlmGateway:Auth:AdminKey"] = AdminKey,
            ["LlmGateway:Auth:Keys:0:Key"] = KeyA,
            ["LlmGateway:Auth:Keys:0:Name"] = "team-a",
            ["LlmGateway:Auth:Keys:1:Key"] = KeyB,
            ["LlmGateway:Auth:Keys:1:Name"] = "team-b",
            ["LlmGateway:Cache:Enabled"] = "true",
        };
        foreach (var (key, value) in extra)
        {
            settings[key] = value;
        }

        return new GatewayHost(_upstream.Urls[0] + "/v1", settings, services => services.AddSingleton<TimeProvider>(_clock));
    }

    private static async Task<HttpResponseMessage> PostAsync(HttpClient client, string body, string key = KeyA, string path = "/v1/chat/completions", Action<HttpRequestMessage>? configure = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        configure?.Invoke(request);
        return await client.SendAsync(request);
    }

    private static string? XCache(HttpResponseMessage response) => response.Headers.TryGetValues("X-Cache", out var values) ? values.Single() : null;

    [Fact]
    public async Task ARepeatedRequestIsAnsweredFromTheCacheWithoutAnUpstreamCall()
    {
        using var host = Host();
        using var client = host.CreateClient();

        using var first = await PostAsync(client, Request1);
        using var second = await PostAsync(client, Request1);

        XCache(first).Should().Be("MISS");
        XCache(second).Should().Be("HIT");
        (await second.Content.ReadAsStringAsync()).Should().Be(Bodies.ChatCompletion);
        second.Headers.GetValues("X-Cache-Key").Single().Should().StartWith("v1:team-a:e:").And.Be(first.Headers.GetValues("X-Cache-Key").Single());
        int.Parse(second.Headers.GetValues("X-Cache-TTL").Single(), CultureInfo.InvariantCulture).Should().Be(600);
        second.Headers.GetValues("x-llmgateway-attempts").Should().Equal("0");
        UpstreamCalls().Should().Be(1);
    }

    [Fact]
    public async Task AnotherTenantsIdenticalRequestIsNotAnsweredFromTheFirstTenantsEntry()
    {
        using var host = Host();
        using var client = host.CreateClient();

        (await PostAsync(client, Request1, KeyA)).Dispose();
        using var other = await PostAsync(client, Request1, KeyB);

        XCache(other).Should().Be("MISS");
        UpstreamCalls().Should().Be(2);
    }

    [Fact]
    public async Task WithASharedPartitionTenantsShareEntries()
    {
        using var host = Host(("LlmGateway:Cache:Partition", "Shared"));
        using var client = host.CreateClient();

        (await PostAsync(client, Request1, KeyA)).Dispose();
        using var other = await PostAsync(client, Request1, KeyB);

        XCache(other).Should().Be("HIT");
        UpstreamCalls().Should().Be(1);
    }

    [Fact]
    public async Task ReorderedKeysAndWhitespaceHitWhileAnotherTemperatureMisses()
    {
        using var host = Host();
        using var client = host.CreateClient();
        (await PostAsync(client, Request1)).Dispose();

        using var reordered = await PostAsync(client, """{ "temperature" : 0.0, "messages" : [ { "content" : "Hi", "role" : "user" } ], "model" : "gpt-4o-mini", "stream": false, "user": "u-1" }""");
        using var warmer = await PostAsync(client, Request1.Replace("\"temperature\":0", "\"temperature\":0.7", StringComparison.Ordinal));

        XCache(reordered).Should().Be("HIT");
        XCache(warmer).Should().Be("MISS");
        UpstreamCalls().Should().Be(2);
    }

    [Fact]
    public async Task NoCacheSkipsTheLookupAndNoStoreSkipsStoring()
    {
        using var host = Host();
        using var client = host.CreateClient();

        using var notStored = await PostAsync(client, Request1, configure: r => r.Headers.CacheControl = new CacheControlHeaderValue { NoStore = true });
        using var afterNoStore = await PostAsync(client, Request1);
        using var fresh = await PostAsync(client, Request1, configure: r => r.Headers.CacheControl = new CacheControlHeaderValue { NoCache = true });
        using var cached = await PostAsync(client, Request1);

        XCache(notStored).Should().Be("MISS");
        XCache(afterNoStore).Should().Be("MISS", "the first answer was not stored");
        XCache(fresh).Should().Be("MISS", "no-cache answers fresh even though an entry exists");
        XCache(cached).Should().Be("HIT");
        UpstreamCalls().Should().Be(3);
    }

    [Fact]
    public async Task ATtlHeaderSetsTheEntrysLifetimeAndItExpires()
    {
        using var host = Host();
        using var client = host.CreateClient();

        using var first = await PostAsync(client, Request1, configure: r => r.Headers.Add("x-llmgateway-cache-ttl", "30"));
        _clock.Advance(TimeSpan.FromSeconds(20));
        using var hit = await PostAsync(client, Request1);
        _clock.Advance(TimeSpan.FromSeconds(11));
        using var expired = await PostAsync(client, Request1);

        first.Headers.GetValues("X-Cache-TTL").Should().Equal("30");
        XCache(hit).Should().Be("HIT");
        hit.Headers.GetValues("X-Cache-TTL").Should().Equal("10");
        XCache(expired).Should().Be("MISS");
    }

    [Theory]
    [InlineData("0")]
    [InlineData("ten")]
    [InlineData("99999999")]
    public async Task AnInvalidTtlHeaderIs400(string ttl)
    {
        using var host = Host();
        using var client = host.CreateClient();

        using var response = await PostAsync(client, Request1, configure: r => r.Headers.Add("x-llmgateway-cache-ttl", ttl));

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        error.RootElement.GetProperty("error").GetProperty("param").GetString().Should().Be("x-llmgateway-cache-ttl");
    }

    [Fact]
    public async Task IdenticalRequestsArrivingTogetherCauseOneUpstreamCall()
    {
        _upstream.Reset();
        GivenChat(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion).WithDelay(TimeSpan.FromMilliseconds(500)));
        using var host = Host();
        using var client = host.CreateClient();

        var responses = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => PostAsync(client, Request1)));

        responses.Should().OnlyContain(r => r.StatusCode == HttpStatusCode.OK);
        responses.Count(r => XCache(r) == "MISS").Should().Be(1);
        responses.Count(r => XCache(r) == "HIT").Should().Be(7);
        UpstreamCalls().Should().Be(1);
        foreach (var response in responses)
        {
            response.Dispose();
        }
    }

    [Fact]
    public async Task AStreamIsStoredOnceFinishedAndReplayedByteForByte()
    {
        using var host = Host();
        using var client = host.CreateClient();
        const string streamWithUsage = """{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}""";

        using var first = await PostAsync(client, streamWithUsage);
        var firstEvents = await Sse.ReadAllEventsAsync(await first.Content.ReadAsStreamAsync());
        using var second = await PostAsync(client, streamWithUsage);
        var secondEvents = await Sse.ReadAllEventsAsync(await second.Content.ReadAsStreamAsync());
        using var withoutUsage = await PostAsync(client, streamWithUsage.Replace("\"stream_options\":{\"include_usage\":true},", string.Empty, StringComparison.Ordinal));
        var withoutUsageEvents = await Sse.ReadAllEventsAsync(await withoutUsage.Content.ReadAsStreamAsync());
        using var notStreamed = await PostAsync(client, """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""");

        XCache(first).Should().Be("MISS");
        firstEvents.Should().Equal(Sse.Chunk("c1", "Hel"), Sse.Chunk("c1", "lo", "stop"), UsageChunk, "[DONE]");
        XCache(second).Should().Be("HIT");
        second.Content.Headers.ContentType!.MediaType.Should().Be("text/event-stream");
        secondEvents.Should().Equal(firstEvents);
        XCache(withoutUsage).Should().Be("HIT");
        withoutUsageEvents.Should().Equal(Sse.Chunk("c1", "Hel"), Sse.Chunk("c1", "lo", "stop"), "[DONE]");
        XCache(notStreamed).Should().Be("HIT", "the stream flag is not part of the key");
        using var completion = JsonDocument.Parse(await notStreamed.Content.ReadAsStringAsync());
        completion.RootElement.GetProperty("object").GetString().Should().Be("chat.completion");
        completion.RootElement.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString().Should().Be("Hello");
        completion.RootElement.GetProperty("choices")[0].GetProperty("finish_reason").GetString().Should().Be("stop");
        UpstreamCalls().Should().Be(1);
    }

    [Fact]
    public async Task ACachedCompletionIsReplayedAsAStreamForAStreamingRequest()
    {
        using var host = Host();
        using var client = host.CreateClient();
        (await PostAsync(client, Request1)).Dispose();

        using var streamed = await PostAsync(client, Request1.Replace("\"temperature\":0", "\"temperature\":0,\"stream\":true", StringComparison.Ordinal));
        var events = await Sse.ReadAllEventsAsync(await streamed.Content.ReadAsStreamAsync());

        XCache(streamed).Should().Be("HIT");
        events[^1].Should().Be("[DONE]");
        var text = string.Concat(events.SkipLast(1).Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices").EnumerateArray()
            .Select(c => c.GetProperty("delta").TryGetProperty("content", out var content) ? content.GetString() : null).FirstOrDefault()));
        text.Should().Be("Hello there!");
        UpstreamCalls().Should().Be(1);
    }

    [Fact]
    public async Task ErrorsAreNeverStored()
    {
        _upstream.Reset();
        GivenChat(Response.Create().WithStatusCode(400).WithHeader("Content-Type", "application/json").WithBody(Bodies.UpstreamError400));
        using var host = Host();
        using var client = host.CreateClient();

        using var first = await PostAsync(client, Request1);
        using var second = await PostAsync(client, Request1);

        first.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        XCache(second).Should().Be("MISS");
        UpstreamCalls().Should().Be(2);
    }

    [Fact]
    public async Task ACutStreamIsNeverStored()
    {
        _upstream.Reset();
        GivenStream(Sse.Chunk("c1", "Hel")); // no finish reason, no [DONE]: cut
        using var host = Host();
        using var client = host.CreateClient();
        const string body = """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}""";

        using var first = await PostAsync(client, body);
        var events = await Sse.ReadAllEventsAsync(await first.Content.ReadAsStreamAsync());
        using var second = await PostAsync(client, body);
        await Sse.ReadAllEventsAsync(await second.Content.ReadAsStreamAsync());

        events.Should().Contain(e => e.Contains("\"error\"", StringComparison.Ordinal), "the cut is reported as an error event");
        XCache(second).Should().Be("MISS");
        UpstreamCalls().Should().Be(2);
    }

    [Fact]
    public async Task EmbeddingsAreCached()
    {
        using var host = Host();
        using var client = host.CreateClient();
        const string body = """{"model":"text-embedding-3-small","input":"hello"}""";

        (await PostAsync(client, body, path: "/v1/embeddings")).Dispose();
        using var second = await PostAsync(client, body, path: "/v1/embeddings");

        XCache(second).Should().Be("HIT");
        (await second.Content.ReadAsStringAsync()).Should().Be(Bodies.Embeddings);
        UpstreamCalls("/v1/embeddings").Should().Be(1);
    }

    [Fact]
    public async Task OnlyDeterministicRequestsAreCachedWhenSoConfigured()
    {
        using var host = Host(("LlmGateway:Cache:Eligibility", "Deterministic"));
        using var client = host.CreateClient();
        var warm = Request1.Replace("\"temperature\":0", "\"temperature\":0.7", StringComparison.Ordinal);

        (await PostAsync(client, warm)).Dispose();
        using var warmAgain = await PostAsync(client, warm);
        (await PostAsync(client, Request1)).Dispose();
        using var coldAgain = await PostAsync(client, Request1);

        XCache(warmAgain).Should().BeNull("a request the cache does not take carries no X-Cache");
        XCache(coldAgain).Should().Be("HIT");
        UpstreamCalls().Should().Be(3);
    }

    [Fact]
    public async Task AHitIsCountedAsARequestServedByTheCacheAtNoCost()
    {
        using var host = Host();
        using var client = host.CreateClient();

        (await PostAsync(client, Request1)).Dispose();
        (await PostAsync(client, Request1)).Dispose();

        var usage = await host.Services.GetRequiredService<IUsageStore>().ListAsync("team-a", UsagePeriod.Day, _clock.GetUtcNow(), default);
        usage.Should().ContainSingle(e => e.Provider == "openai").Which.Requests.Should().Be(1);
        usage.Should().ContainSingle(e => e.Provider == "cache").Which.Should().BeEquivalentTo(new { Requests = 1L, PromptTokens = 0L, CompletionTokens = 0L, Cost = 0m });
    }

    [Fact]
    public async Task AnAdminPurgeByModelRemovesTheEntries()
    {
        using var host = Host();
        using var client = host.CreateClient();
        (await PostAsync(client, Request1)).Dispose();

        using var purge = await PostAsync(client, """{"model":"gpt-4o-mini"}""", AdminKey, "/admin/cache/purge");
        using var after = await PostAsync(client, Request1);

        purge.StatusCode.Should().Be(HttpStatusCode.OK);
        using (var result = JsonDocument.Parse(await purge.Content.ReadAsStringAsync()))
        {
            result.RootElement.GetProperty("purged").GetInt64().Should().Be(1);
        }

        XCache(after).Should().Be("MISS");
    }

    [Fact]
    public async Task APurgeOfAnotherModelOrAKeyPrefixOfAnotherTenantLeavesTheEntry()
    {
        using var host = Host();
        using var client = host.CreateClient();
        (await PostAsync(client, Request1)).Dispose();

        (await PostAsync(client, """{"model":"gpt-4o"}""", AdminKey, "/admin/cache/purge")).Dispose();
        (await PostAsync(client, """{"key_prefix":"v1:team-b:"}""", AdminKey, "/admin/cache/purge")).Dispose();
        using var after = await PostAsync(client, Request1);

        XCache(after).Should().Be("HIT");
    }

    [Theory]
    [InlineData("""{"model":3}""", "model")]
    [InlineData("""{"older_than_seconds":-1}""", "older_than_seconds")]
    [InlineData("""{"colour":"red"}""", "colour")]
    public async Task ABadPurgeRequestIs400NamingTheField(string body, string param)
    {
        using var host = Host();
        using var client = host.CreateClient();

        using var response = await PostAsync(client, body, AdminKey, "/admin/cache/purge");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        using var error = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        error.RootElement.GetProperty("error").GetProperty("param").GetString().Should().Be(param);
    }

    [Fact]
    public async Task SemanticStrategy_ASimilarEnoughQuestionHitsAndADifferentOneMisses()
    {
        // Embeddings chosen by hand: "capital of France" variants point almost the same way (cosine 0.99), Everest
        // points elsewhere (cosine 0.6 with the first).
        GivenOnlyChat();
        GivenEmbedding("What is the capital of France?", "[1.0, 0.0, 0.0]");
        GivenEmbedding("what's the capital city of France", "[0.99, 0.1410673, 0.0]");
        GivenEmbedding("How tall is Mount Everest?", "[0.6, 0.8, 0.0]");
        using var host = Host(
            ("LlmGateway:Cache:Strategy", "Semantic"),
            ("LlmGateway:Cache:Semantic:EmbeddingModel", "text-embedding-3-small"),
            ("LlmGateway:Cache:Semantic:Threshold", "0.98"));
        using var client = host.CreateClient();
        static string Ask(string question) => $$"""{"model":"gpt-4o-mini","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"{{question}}"}]}""";

        using var first = await PostAsync(client, Ask("What is the capital of France?"));
        using var similar = await PostAsync(client, Ask("what's the capital city of France"));
        using var different = await PostAsync(client, Ask("How tall is Mount Everest?"));

        XCache(first).Should().Be("MISS");
        XCache(similar).Should().Be("HIT");
        similar.Headers.GetValues("X-Cache-Key").Single().Should().Be(first.Headers.GetValues("X-Cache-Key").Single(), "it was answered from the first question's entry");
        XCache(different).Should().Be("MISS");
        UpstreamCalls().Should().Be(2);
    }

    [Fact]
    public async Task SemanticStrategy_AQuestionJustBelowTheThresholdMisses()
    {
        GivenOnlyChat();
        GivenEmbedding("What is the capital of France?", "[1.0, 0.0, 0.0]");
        GivenEmbedding("what's the capital city of France", "[0.99, 0.1410673, 0.0]");
        using var host = Host(
            ("LlmGateway:Cache:Strategy", "Semantic"),
            ("LlmGateway:Cache:Semantic:EmbeddingModel", "text-embedding-3-small"),
            ("LlmGateway:Cache:Semantic:Threshold", "0.991"));
        using var client = host.CreateClient();
        static string Ask(string question) => $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"{{question}}"}]}""";

        (await PostAsync(client, Ask("What is the capital of France?"))).Dispose();
        using var similar = await PostAsync(client, Ask("what's the capital city of France"));

        XCache(similar).Should().Be("MISS", "a cosine of 0.99 is below a threshold of 0.991");
    }

    private void GivenOnlyChat()
    {
        _upstream.Reset();
        GivenChat(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
    }

    private void GivenEmbedding(string input, string vector) =>
        _upstream.Given(Request.Create().WithPath("/v1/embeddings").UsingPost().WithBody((string? b) => b is not null && b.Contains($"\"input\":\"{input}\"", StringComparison.Ordinal)))
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json")
                .WithBody($$$"""{"object":"list","data":[{"object":"embedding","index":0,"embedding":{{{vector}}}}],"model":"text-embedding-3-small","usage":{"prompt_tokens":5,"total_tokens":5}}"""));
}
