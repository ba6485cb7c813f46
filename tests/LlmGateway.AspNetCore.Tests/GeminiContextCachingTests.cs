using System.Text;
using System.Text.Json;
using LlmGateway.Internal;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>Gemini context caches: managed through <see cref="GeminiContextCaches"/>, used by naming them in a chat
/// request's <c>cached_content</c> field, with the cached tokens in the usage.</summary>
public sealed class GeminiContextCachingTests : IDisposable
{
    private readonly WireMockServer _gemini = WireMockServer.Start();
    private readonly ServiceProvider _services;

    public GeminiContextCachingTests()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new NoEnvironment());
        services.AddLlmGateway(o => o.Providers["gemini"] = new ProviderOptions { ApiKey = "k", BaseUrl = _gemini.Urls[0] + "/v1beta" }).AddGemini();
        _services = services.BuildServiceProvider();
    }

    public void Dispose()
    {
        _services.Dispose();
        _gemini.Dispose();
    }

    [Fact]
    public async Task CreateListExtendAndDelete()
    {
        const string cache = """{"name":"cachedContents/abc123","model":"models/gemini-2.5-flash","displayName":"manual","expireTime":"2030-01-01T00:00:00Z","usageMetadata":{"totalTokenCount":4096}}""";
        _gemini.Given(Request.Create().WithPath("/v1beta/cachedContents").UsingPost()).RespondWith(Json(cache));
        _gemini.Given(Request.Create().WithPath("/v1beta/cachedContents").UsingGet()).RespondWith(Json($$"""{"cachedContents":[{{cache}}]}"""));
        _gemini.Given(Request.Create().WithPath("/v1beta/cachedContents/abc123").UsingPatch()).RespondWith(Json(cache));
        _gemini.Given(Request.Create().WithPath("/v1beta/cachedContents/abc123").UsingDelete()).RespondWith(Json("{}"));
        var caches = _services.GetRequiredService<GeminiContextCaches>();
        var prefix = Encoding.UTF8.GetBytes("""{"model":"gemini-2.5-flash","messages":[{"role":"system","content":"You know the manual."},{"role":"user","content":"<a long manual>"}]}""");

        var created = await caches.CreateAsync("gemini", prefix, TimeSpan.FromMinutes(10), "manual");
        var listed = await caches.ListAsync("gemini");
        var extended = await caches.ExtendAsync("gemini", created.Name, TimeSpan.FromHours(1));
        await caches.DeleteAsync("gemini", created.Name);

        created.Should().Be(new GeminiCachedContent("cachedContents/abc123", "gemini-2.5-flash", "manual", new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), 4096));
        listed.Should().ContainSingle().Which.Name.Should().Be("cachedContents/abc123");
        extended.Name.Should().Be("cachedContents/abc123");
        var requests = _gemini.LogEntries.Select(e => e.RequestMessage).ToList();
        using (var create = JsonDocument.Parse(requests[0].Body!))
        {
            create.RootElement.GetProperty("model").GetString().Should().Be("models/gemini-2.5-flash");
            create.RootElement.GetProperty("ttl").GetString().Should().Be("600s");
            create.RootElement.GetProperty("systemInstruction").GetProperty("parts")[0].GetProperty("text").GetString().Should().Be("You know the manual.");
            create.RootElement.GetProperty("contents")[0].GetProperty("parts")[0].GetProperty("text").GetString().Should().Be("<a long manual>");
        }

        requests[2].Method.Should().Be("PATCH");
        requests[2].RawQuery.Should().Contain("updateMask=ttl");
        requests[2].Body.Should().Be("""{"ttl":"3600s"}""");
        requests[3].Method.Should().Be("DELETE");
        requests.Should().OnlyContain(r => r.Headers!["x-goog-api-key"].Single() == "k");
    }

    [Fact]
    public async Task ChatRequestUsesTheNamedCacheAndReportsCachedTokens()
    {
        _gemini.Given(Request.Create().WithPath("/v1beta/cachedContents").UsingPost()).RespondWith(Json("""{"name":"cachedContents/abc123","model":"models/gemini-2.5-flash"}"""));
        await _services.GetRequiredService<GeminiContextCaches>().CreateAsync("gemini", Encoding.UTF8.GetBytes("""{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"<a long manual>"}]}"""), TimeSpan.FromMinutes(10));
        _gemini.Given(Request.Create().WithPath("/v1beta/models/gemini-2.5-flash:generateContent").UsingPost()).RespondWith(Json("""
            {"candidates":[{"content":{"role":"model","parts":[{"text":"Page 3."}]},"finishReason":"STOP","index":0}],
             "usageMetadata":{"promptTokenCount":4106,"cachedContentTokenCount":4096,"candidatesTokenCount":3,"totalTokenCount":4109}}
            """));
        var gateway = _services.GetRequiredService<ILlmGateway>();
        var body = Encoding.UTF8.GetBytes("""{"model":"gemini-2.5-flash","cached_content":"cachedContents/abc123","messages":[{"role":"user","content":"Where is the reset button?"}]}""");

        await using var response = await gateway.SendAsync(new GatewayRequest(GatewayOperation.ChatCompletions, body));

        response.Error.Should().BeNull();
        using var answer = JsonDocument.Parse(response.Body);
        answer.RootElement.GetProperty("usage").GetProperty("prompt_tokens_details").GetProperty("cached_tokens").GetInt32().Should().Be(4096);
        using var sent = JsonDocument.Parse(_gemini.LogEntries[^1].RequestMessage.Body!);
        sent.RootElement.GetProperty("cachedContent").GetString().Should().Be("cachedContents/abc123");
    }

    [Fact]
    public async Task UnknownInstanceIsAnArgumentError()
    {
        var caches = _services.GetRequiredService<GeminiContextCaches>();

        var call = () => caches.ListAsync("nope");

        await call.Should().ThrowAsync<ArgumentException>().WithMessage("*'nope'*");
    }

    private static IResponseBuilder Json(string body) => Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(body);

    private sealed class NoEnvironment : IEnvironmentVariables
    {
        public string? Get(string name) => null;
    }
}
