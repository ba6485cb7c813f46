using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LlmGateway.Samples.Tests.Infrastructure;

namespace LlmGateway.Samples.Tests;

/// <summary>samples/LlmGateway.Samples.Jwt: the app run as built, with a signing key and an admin key made for the run
/// and its OpenAI instance pointed at the stand-in upstream. Its callers are the tenants of signed JWTs.</summary>
[Collection(SamplesDefinition.Name)]
public sealed class JwtSampleTests(SampleServers servers) : IAsyncLifetime
{
    private const string Issuer = "https://login.example.com";
    private const string Audience = "llm-gateway";
    private const string ChatBody = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""";

    private static readonly HttpClient s_http = new() { Timeout = TimeSpan.FromSeconds(30) };

    private readonly byte[] _signingKey = RandomNumberGenerator.GetBytes(32);
    private readonly string _adminKey = "admin-" + Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
    private ChildProcess? _app;
    private string _baseUrl = string.Empty;

    public async Task InitializeAsync()
    {
        var port = LoopbackPorts.Free();
        _app = SampleServers.StartDotnet("LlmGateway.Samples.Jwt", port, new Dictionary<string, string>
        {
            ["OPENAI_BASE_URL"] = servers.StandInOpenAIBaseUrl,
            ["Jwt__SigningKey"] = Convert.ToBase64String(_signingKey),
            ["LlmGateway__Auth__AdminKey"] = _adminKey,
        });
        _baseUrl = $"http://127.0.0.1:{port}";
        await SampleServers.WaitUntilAnswersAsync(_app, _baseUrl + "/");
    }

    public Task DisposeAsync()
    {
        _app?.Dispose();
        return Task.CompletedTask;
    }

    [Fact]
    public async Task Chat_WithAFreeTierTenantsToken_IsLimitedAndBilledAsTheTenant()
    {
        var tenant = "acme-" + Guid.NewGuid().ToString("N")[..8];
        var token = Token(_signingKey, ("sub", "alice"), ("tenant", tenant), ("tier", "free"));

        using var first = await ChatAsync(token);
        using var second = await ChatAsync(Token(_signingKey, ("sub", "bob"), ("tenant", tenant), ("tier", "free")));

        first.StatusCode.Should().Be(HttpStatusCode.OK, await first.Content.ReadAsStringAsync());
        first.Headers.GetValues("x-ratelimit-limit-requests").Should().Equal("1");
        second.StatusCode.Should().Be((HttpStatusCode)429, "the free tier allows one request a minute, shared by the tenant's users");
        second.Headers.RetryAfter.Should().NotBeNull();
        using (var envelope = JsonDocument.Parse(await second.Content.ReadAsStringAsync()))
        {
            var error = envelope.RootElement.GetProperty("error");
            error.GetProperty("code").GetString().Should().Be("rate_limit_exceeded");
            error.GetProperty("type").GetString().Should().Be("requests");
        }

        using var usage = await UsageAsync();
        var entries = usage.RootElement.GetProperty("data").EnumerateArray()
            .Where(e => e.GetProperty("key_id").GetString() == "tenant:" + tenant)
            .ToList();
        entries.Should().ContainSingle("the one answered call is billed to the tenant, the refused one is not");
        entries[0].GetProperty("requests").GetInt64().Should().Be(1);
        entries[0].GetProperty("total_tokens").GetInt64().Should().BePositive();
    }

    [Fact]
    public async Task Chat_WithAProTierToken_IsNotHeldToTheFreeTiersLimit()
    {
        var token = Token(_signingKey, ("sub", "carol"), ("tenant", "globex-" + Guid.NewGuid().ToString("N")[..8]), ("tier", "pro"));

        using var first = await ChatAsync(token);
        using var second = await ChatAsync(token);

        first.StatusCode.Should().Be(HttpStatusCode.OK);
        second.StatusCode.Should().Be(HttpStatusCode.OK);
        second.Headers.GetValues("x-ratelimit-limit-requests").Should().Equal("60");
    }

    [Fact]
    public async Task Chat_WithoutAValidToken_Answers401()
    {
        var forged = Token(RandomNumberGenerator.GetBytes(32), ("sub", "mallory"), ("tenant", "acme"), ("tier", "pro"));

        using var none = await ChatAsync(token: null);
        using var wrongKey = await ChatAsync(forged);

        none.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        wrongKey.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "a token signed with another key is not authenticated");
    }

    [Fact]
    public async Task Chat_WithAValidTokenWithoutATenant_IsNotACallerAndAnswers401InOpenAIsEnvelope()
    {
        using var response = await ChatAsync(Token(_signingKey, ("sub", "dave")));

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "the mapping declines it, and the token is no gateway key");
        using var envelope = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        envelope.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("invalid_api_key");
    }

    private async Task<HttpResponseMessage> ChatAsync(string? token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, _baseUrl + "/v1/chat/completions") { Content = new StringContent(ChatBody, Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await s_http.SendAsync(request);
    }

    private async Task<JsonDocument> UsageAsync()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _baseUrl + "/admin/usage?period=day");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _adminKey);
        using var response = await s_http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        response.StatusCode.Should().Be(HttpStatusCode.OK, body);
        return JsonDocument.Parse(body);
    }

    /// <summary>A JWT signed with HMAC-SHA256, as an identity provider issues it: the sample's issuer and audience, valid
    /// for ten minutes, with the given claims.</summary>
    private static string Token(byte[] key, params (string Name, string Value)[] claims)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var payload = new Dictionary<string, object> { ["iss"] = Issuer, ["aud"] = Audience, ["iat"] = now, ["nbf"] = now, ["exp"] = now + 600 };
        foreach (var (name, value) in claims)
        {
            payload[name] = value;
        }

        var unsigned = Base64Url("""{"alg":"HS256","typ":"JWT"}"""u8.ToArray()) + "." + Base64Url(JsonSerializer.SerializeToUtf8Bytes(payload));
        return unsigned + "." + Base64Url(HMACSHA256.HashData(key, Encoding.ASCII.GetBytes(unsigned)));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
