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

/// <summary>Rate limits, token reservations, budgets and usage through the endpoints, with one gateway process (memory
/// stores) on a fake clock, so windows never roll over mid-test.</summary>
public sealed class LimitsAndUsageTests : IDisposable
{
    private const string Key = "lgw-limits-test-key";
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 11, 27, 10, 0, 30, TimeSpan.Zero));

    public LimitsAndUsageTests()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        _upstream.Given(Request.Create().WithPath("/v1/models").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.Models));
    }

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
    }

    private GatewayHost Host(params (string Key, string Value)[] policy)
    {
        var settings = new Dictionary<string, string?>
        {
            ["LlmGateway:Auth:Mode"] = "Gateway",
            ["LlmGateway:Auth:Keys:0:Key"] = Key,
            ["LlmGateway:Auth:Keys:0:Name"] = "team-a",
        };
        foreach (var (key, value) in policy)
        {
            settings["LlmGateway:Auth:Keys:0:" + key] = value;
        }

        return new GatewayHost(_upstream.Urls[0] + "/v1", settings, services => services.AddSingleton<TimeProvider>(_clock));
    }

    private static Task<HttpResponseMessage> PostAsync(HttpClient client, string body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        return client.SendAsync(request);
    }

    private static Task<HttpResponseMessage> ChatAsync(HttpClient client, string model = "gpt-4o-mini", int? maxTokens = null) =>
        PostAsync(client, $$"""{"model":"{{model}}","messages":[{"role":"user","content":"Hi there"}]{{(maxTokens is { } m ? $",\"max_tokens\":{m}" : "")}}}""");

    private static long Header(HttpResponseMessage response, string name) =>
        long.Parse(response.Headers.GetValues(name).Single(), CultureInfo.InvariantCulture);

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("error").Clone();
    }

    [Theory]
    [InlineData("FixedWindow")]
    [InlineData("SlidingWindow")]
    [InlineData("TokenBucket")]
    public async Task RequestLimit_LetsExactlyTheLimitThroughThenAnswers429WithRetryAfterAndHeaders(string strategy)
    {
        using var host = Host(("RequestsPerMinute", "3"), ("Strategy", strategy));
        using var client = host.CreateClient();

        var remaining = new List<long>();
        for (var i = 0; i < 3; i++)
        {
            using var ok = await ChatAsync(client);
            ok.StatusCode.Should().Be(HttpStatusCode.OK);
            Header(ok, "x-ratelimit-limit-requests").Should().Be(3);
            remaining.Add(Header(ok, "x-ratelimit-remaining-requests"));
            ok.Headers.GetValues("x-ratelimit-reset-requests").Single().Should().MatchRegex(@"^(\d+ms|(\d+m)?\d+(\.\d+)?s)$");
        }

        using var limited = await ChatAsync(client);

        remaining.Should().Equal(2, 1, 0);
        limited.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        var error = await ErrorOf(limited);
        error.GetProperty("type").GetString().Should().Be("requests");
        error.GetProperty("code").GetString().Should().Be("rate_limit_exceeded");
        int.Parse(limited.Headers.RetryAfter!.ToString(), CultureInfo.InvariantCulture).Should().BePositive();
        Header(limited, "x-ratelimit-remaining-requests").Should().Be(0);
        _upstream.LogEntries.Count(e => e.RequestMessage.Path == "/v1/chat/completions").Should().Be(3);
    }

    [Fact]
    public async Task RequestLimit_FreesUpAgainAsTimePasses()
    {
        using var host = Host(("RequestsPerMinute", "1"), ("Strategy", "FixedWindow"));
        using var client = host.CreateClient();
        (await ChatAsync(client)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await ChatAsync(client)).StatusCode.Should().Be(HttpStatusCode.TooManyRequests);

        _clock.Advance(TimeSpan.FromSeconds(30)); // 10:01:00, a new window

        (await ChatAsync(client)).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task TokenLimit_ReservesPromptAndOutputBudgetThenSettlesWithTheReportedUsage()
    {
        using var host = Host(("TokensPerMinute", "1000"), ("Strategy", "FixedWindow"));
        using var client = host.CreateClient();

        using var first = await ChatAsync(client, maxTokens: 400);
        using var second = await ChatAsync(client, maxTokens: 400);

        first.StatusCode.Should().Be(HttpStatusCode.OK);
        var reserved = 1000 - Header(first, "x-ratelimit-remaining-tokens");
        reserved.Should().BeGreaterThan(400, "the prompt's estimated tokens come on top of max_tokens");
        Header(second, "x-ratelimit-remaining-tokens").Should().Be(
            1000 - 12 - reserved,
            "the first call was settled from its reservation down to the 12 tokens the upstream reported; the second holds the same reservation");
    }

    [Fact]
    public async Task TokenLimit_ARequestLargerThanTheLimitIsRefusedAsTooLarge()
    {
        using var host = Host(("TokensPerMinute", "100"));
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, maxTokens: 500);

        response.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        var error = await ErrorOf(response);
        error.GetProperty("type").GetString().Should().Be("tokens");
        error.GetProperty("message").GetString().Should().Contain("Request too large");
        _upstream.LogEntries.Should().NotContain(e => e.RequestMessage.Path == "/v1/chat/completions");
    }

    [Fact]
    public async Task TokenLimit_ARequestAskingForInt32MaxOutputTokensIsRefusedAsTooLarge()
    {
        using var host = Host(("TokensPerMinute", "100000"));
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, maxTokens: int.MaxValue);

        response.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        var error = await ErrorOf(response);
        error.GetProperty("type").GetString().Should().Be("tokens");
        error.GetProperty("message").GetString().Should().Contain("Request too large");
        _upstream.LogEntries.Should().NotContain(e => e.RequestMessage.Path == "/v1/chat/completions");
    }

    [Theory]
    [InlineData("2147483648")]
    [InlineData("0")]
    [InlineData("-5")]
    public async Task TokenLimit_AnOutputBudgetOutOfRangeIsRefusedNotReservedAsTheDefault(string maxTokens)
    {
        using var host = Host(("TokensPerMinute", "100000"));
        using var client = host.CreateClient();

        using var response = await PostAsync(client, $$"""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi there"}],"max_tokens":{{maxTokens}}}""");

        response.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        var error = await ErrorOf(response);
        error.GetProperty("code").GetString().Should().Be("invalid_value");
        error.GetProperty("param").GetString().Should().Be("max_tokens");
        _upstream.LogEntries.Should().NotContain(e => e.RequestMessage.Path == "/v1/chat/completions");
    }

    [Fact]
    public async Task RequestLimit_AnUnknownPinnedProviderIsRefusedWithoutBeingCounted()
    {
        using var host = Host(("RequestsPerMinute", "1"), ("Strategy", "FixedWindow"));
        using var client = host.CreateClient();
        using var pinned = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi there"}]}""", Encoding.UTF8, "application/json"),
        };
        pinned.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        pinned.Headers.Add("x-llmgateway-provider", "nowhere");

        using var refused = await client.SendAsync(pinned);
        using var next = await ChatAsync(client);

        refused.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        (await ErrorOf(refused)).GetProperty("param").GetString().Should().Be("x-llmgateway-provider");
        next.StatusCode.Should().Be(HttpStatusCode.OK, "the refused request took nothing from the limit");
    }

    [Fact]
    public async Task ModelLimit_AppliesToTheModelsItNamesOnly()
    {
        using var host = Host(("ModelLimits:gpt-4o*:RequestsPerMinute", "1"));
        using var client = host.CreateClient();

        using var first = await ChatAsync(client, "gpt-4o-mini");
        first.StatusCode.Should().Be(HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        (await ChatAsync(client, "gpt-4o")).StatusCode.Should().Be(HttpStatusCode.TooManyRequests, "gpt-4o* models share one limit");
        (await ChatAsync(client, "llama3.2")).StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public async Task FailedCallsAreNotBilledAndGiveTheirTokensBack()
    {
        _upstream.Reset();
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(400).WithHeader("Content-Type", "application/json").WithBody(Bodies.UpstreamError400));
        using var host = Host(("TokensPerMinute", "1000"), ("Strategy", "FixedWindow"));
        using var client = host.CreateClient();

        using var first = await ChatAsync(client, maxTokens: 100);
        using var second = await ChatAsync(client, maxTokens: 100);

        first.StatusCode.Should().Be(HttpStatusCode.BadRequest);
        Header(second, "x-ratelimit-remaining-tokens").Should().Be(Header(first, "x-ratelimit-remaining-tokens"), "the first call's reservation was given back whole");
        var usage = await host.Services.GetRequiredService<IUsageStore>().ListAsync("team-a", UsagePeriod.Day, _clock.GetUtcNow(), default);
        usage.Should().BeEmpty();
    }

    [Fact]
    public async Task UsageAndCostOfANonStreamedCallAreRecordedPerKeyModelAndInstance()
    {
        using var host = Host();
        using var client = host.CreateClient();

        (await ChatAsync(client)).StatusCode.Should().Be(HttpStatusCode.OK);

        var usage = await host.Services.GetRequiredService<IUsageStore>().ListAsync("team-a", UsagePeriod.Month, _clock.GetUtcNow(), default);
        var entry = usage.Should().ContainSingle().Subject;
        entry.Should().BeEquivalentTo(new UsageEntry("team-a", "gpt-4o-mini", "openai")
        {
            Requests = 1,
            PromptTokens = 9,
            CompletionTokens = 3,
            Cost = ((9 * 0.15m) + (3 * 0.60m)) / 1_000_000m, // the catalog's gpt-4o-mini prices per million
        });
    }

    [Fact]
    public async Task StreamedUsageIsCountedAndItsChunkRemovedWhenTheClientDidNotAskForIt()
    {
        GivenStream();
        using var host = Host();
        using var client = host.CreateClient();

        using var response = await PostAsync(client, """{"model":"gpt-4o-mini","stream":true,"messages":[{"role":"user","content":"Hi"}]}""");
        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync());

        events.Should().Equal(Sse.Chunk("c1", "Hel"), Sse.Chunk("c1", "lo", "stop"), "[DONE]");
        var sent = _upstream.LogEntries.Single(e => e.RequestMessage.Path == "/v1/chat/completions").RequestMessage.Body!;
        using (var body = JsonDocument.Parse(sent))
        {
            body.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean().Should().BeTrue();
        }

        var usage = await host.Services.GetRequiredService<IUsageStore>().ListAsync("team-a", UsagePeriod.Day, _clock.GetUtcNow(), default);
        usage.Should().ContainSingle().Which.Should().BeEquivalentTo(new { Requests = 1L, PromptTokens = 7L, CompletionTokens = 2L, CachedTokens = 4L, ReasoningTokens = 1L, EstimatedRequests = 0L });
    }

    [Fact]
    public async Task StreamedUsageChunkIsKeptWhenTheClientAskedAndTheBodyGoesUpstreamUnchanged()
    {
        GivenStream();
        using var host = Host();
        using var client = host.CreateClient();
        const string body = """{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"Hi"}]}""";

        using var response = await PostAsync(client, body);
        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync());

        events.Should().Equal(Sse.Chunk("c1", "Hel"), Sse.Chunk("c1", "lo", "stop"), UsageChunk, "[DONE]");
        _upstream.LogEntries.Single(e => e.RequestMessage.Path == "/v1/chat/completions").RequestMessage.Body.Should().Be(body);
    }

    [Fact]
    public async Task ExplicitIncludeUsageFalseIsTurnedOnUpstreamAndKeptOffForTheClient()
    {
        GivenStream();
        using var host = Host();
        using var client = host.CreateClient();

        using var response = await PostAsync(client, """{"model":"gpt-4o-mini","stream":true,"stream_options":{"include_usage":false,"x":1},"messages":[{"role":"user","content":"Hi"}]}""");
        var events = await Sse.ReadAllEventsAsync(await response.Content.ReadAsStreamAsync());

        events.Should().NotContain(UsageChunk);
        var sent = _upstream.LogEntries.Single(e => e.RequestMessage.Path == "/v1/chat/completions").RequestMessage.Body!;
        using var document = JsonDocument.Parse(sent);
        var options = document.RootElement.GetProperty("stream_options");
        options.GetProperty("include_usage").GetBoolean().Should().BeTrue();
        options.GetProperty("x").GetInt32().Should().Be(1, "the client's other stream options are kept");
    }

    [Fact]
    public async Task DailyTokenBudget_OnceSpentFurtherCallsGet429InsufficientQuota()
    {
        using var host = Host(("Budget:DailyTokens", "20"));
        using var client = host.CreateClient();

        (await ChatAsync(client)).StatusCode.Should().Be(HttpStatusCode.OK); // 12 tokens used
        (await ChatAsync(client)).StatusCode.Should().Be(HttpStatusCode.OK); // 24 used: over, but it was let in at 12
        using var refused = await ChatAsync(client);

        refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        var error = await ErrorOf(refused);
        error.GetProperty("type").GetString().Should().Be("insufficient_quota");
        error.GetProperty("code").GetString().Should().Be("insufficient_quota");
        refused.Headers.RetryAfter.Should().NotBeNull();

        _clock.Advance(TimeSpan.FromDays(1));
        (await ChatAsync(client)).StatusCode.Should().Be(HttpStatusCode.OK, "a daily budget starts again the next UTC day");
    }

    [Fact]
    public async Task MonthlyCostBudget_OnceSpentFurtherCallsGet429InsufficientQuota()
    {
        using var host = Host(("Budget:MonthlyCost", "0.000001"));
        using var client = host.CreateClient();

        (await ChatAsync(client)).StatusCode.Should().Be(HttpStatusCode.OK); // costs 0.00000315
        using var refused = await ChatAsync(client);

        refused.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        (await ErrorOf(refused)).GetProperty("message").GetString().Should().Contain("monthly cost budget");
    }

    [Fact]
    public async Task UsageAndRefusalsAreMeasuredWithLowCardinalityTags()
    {
        using var host = Host(("RequestsPerMinute", "1"));
        using var client = host.CreateClient();
        var factory = host.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        var measurements = new System.Collections.Concurrent.ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)>();
        using var listener = new System.Diagnostics.Metrics.MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, factory) && instrument.Meter.Name == "LlmGateway")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, ToDictionary(tags))));
        listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => measurements.Enqueue((instrument.Name, value, ToDictionary(tags))));
        listener.Start();

        (await ChatAsync(client)).StatusCode.Should().Be(HttpStatusCode.OK);
        (await ChatAsync(client)).StatusCode.Should().Be(HttpStatusCode.TooManyRequests);

        var tokens = measurements.Where(m => m.Instrument == "llmgateway.usage.tokens").ToList();
        tokens.Should().ContainSingle(m => (string)m.Tags["gen_ai.token.type"]! == "input").Which.Value.Should().Be(9);
        tokens.Should().ContainSingle(m => (string)m.Tags["gen_ai.token.type"]! == "output").Which.Value.Should().Be(3);
        tokens.Should().OnlyContain(m => (string)m.Tags["gen_ai.response.model"]! == "gpt-4o-mini" && (string)m.Tags["llmgateway.provider"]! == "openai");
        measurements.Should().ContainSingle(m => m.Instrument == "llmgateway.usage.cost").Which.Value.Should().BeApproximately(0.00000315, 1e-12);
        measurements.Should().ContainSingle(m => m.Instrument == "llmgateway.policy.refusals").Which.Tags["llmgateway.reason"].Should().Be("requests");
        measurements.SelectMany(m => m.Tags.Values).Should().NotContain(v => Equals(v, Key) || Equals(v, "team-a"), "a key or its name is never a tag");
    }

    private static Dictionary<string, object?> ToDictionary(ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var result = new Dictionary<string, object?>();
        foreach (var (key, value) in tags)
        {
            result[key] = value;
        }

        return result;
    }

    private const string UsageChunk = """{"id":"c1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o-mini","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":2,"total_tokens":9,"prompt_tokens_details":{"cached_tokens":4},"completion_tokens_details":{"reasoning_tokens":1}}}""";

    private void GivenStream()
    {
        _upstream.Reset();
        var sse = string.Concat(new[] { Sse.Chunk("c1", "Hel"), Sse.Chunk("c1", "lo", "stop"), UsageChunk, "[DONE]" }.Select(e => $"data: {e}\n\n"));
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "text/event-stream").WithBody(sse));
    }
}
