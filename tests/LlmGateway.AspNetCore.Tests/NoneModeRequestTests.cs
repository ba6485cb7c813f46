using System.Net;
using System.Net.Http.Headers;
using System.Text;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Mvc.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// Auth mode None on a developer's machine: a web page the developer visits must not be able to spend the configured
/// provider key, neither with a "simple" cross-origin request (a text/plain or form-encoded body, no preflight) nor
/// through DNS rebinding (its own name resolving to 127.0.0.1). The test server's connection counts as loopback, as
/// a local developer's would.
/// </summary>
public sealed class NoneModeRequestTests : IDisposable
{
    private const string ChatBody = """{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""";

    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly List<GatewayHost> _hosts = [];

    public NoneModeRequestTests()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
        _upstream.Given(Request.Create().WithPath("/v1/models").UsingGet())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.Models));
    }

    public void Dispose()
    {
        foreach (var host in _hosts)
        {
            host.Dispose();
        }

        _upstream.Dispose();
    }

    private HttpClient Client(Dictionary<string, string?>? settings = null, string baseAddress = "http://localhost")
    {
        var all = new Dictionary<string, string?> { ["LlmGateway:Auth:Mode"] = "None" };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        var host = new GatewayHost(_upstream.Urls[0] + "/v1", all);
        _hosts.Add(host);
        return host.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri(baseAddress) });
    }

    private static async Task<HttpResponseMessage> ChatAsync(HttpClient client, HttpContent content, string? origin = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = content };
        if (origin is not null)
        {
            request.Headers.Add("Origin", origin);
        }

        return await client.SendAsync(request);
    }

    private static ByteArrayContent Body(string? contentType)
    {
        var content = new ByteArrayContent(Encoding.UTF8.GetBytes(ChatBody));
        if (contentType is not null)
        {
            content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        }

        return content;
    }

    private static async Task ShouldBeRefusedAsync(HttpResponseMessage response, HttpStatusCode status, string code)
    {
        response.StatusCode.Should().Be(status);
        response.Headers.Contains("x-request-id").Should().BeTrue();
        var error = await ChatCompletionsTests.ReadErrorAsync(response);
        error.GetProperty("type").GetString().Should().Be("invalid_request_error");
        error.GetProperty("code").GetString().Should().Be(code);
    }

    [Theory]
    [InlineData("text/plain")]
    [InlineData("text/plain; charset=utf-8")]
    [InlineData("application/x-www-form-urlencoded")]
    [InlineData("multipart/form-data; boundary=x")]
    [InlineData(null)]
    public async Task AJsonBodyLabelledAsAnythingButJson_Is415AndNeverReachesTheUpstream(string? contentType)
    {
        var client = Client();

        using var response = await ChatAsync(client, Body(contentType));

        await ShouldBeRefusedAsync(response, HttpStatusCode.UnsupportedMediaType, "unsupported_media_type");
        var error = await ChatCompletionsTests.ReadErrorAsync(response);
        error.GetProperty("message").GetString().Should().Contain("application/json");
        error.GetProperty("param").GetString().Should().Be("Content-Type");
        _upstream.LogEntries.Should().BeEmpty("a page's simple cross-origin request must not spend the provider key");
    }

    [Theory]
    [InlineData("application/json")]
    [InlineData("application/json; charset=utf-8")]
    [InlineData("Application/JSON;charset=UTF-8")]
    public async Task AJsonBodyLabelledJson_IsServedWhileTextPlainIsNot(string contentType)
    {
        var client = Client();

        using var refused = await ChatAsync(client, Body("text/plain"));
        using var served = await ChatAsync(client, Body(contentType));

        refused.StatusCode.Should().Be(HttpStatusCode.UnsupportedMediaType);
        served.StatusCode.Should().Be(HttpStatusCode.OK);
        _upstream.LogEntries.Should().ContainSingle();
    }

    [Fact]
    public async Task OtherModes_StillTakeAJsonBodyWhateverItsLabel()
    {
        // curl -d labels a body form-urlencoded; a caller with a gateway key is no browser page, so that stays fine.
        var client = Client(new()
        {
            ["LlmGateway:Auth:Mode"] = "Gateway",
            ["LlmGateway:Auth:Keys:0:Key"] = "lgw-none-mode-test-key-0001",
        });
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions") { Content = Body("application/x-www-form-urlencoded") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", "lgw-none-mode-test-key-0001");
        request.Headers.Add("Origin", "https://elsewhere.example");

        using var response = await client.SendAsync(request);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Theory]
    [InlineData("https://evil.example")]
    [InlineData("http://localhost:3000")]
    [InlineData("null")]
    public async Task AnOriginTheCorsSettingsDoNotAllow_Is403BeforeAnythingRuns(string origin)
    {
        var client = Client(new() { ["LlmGateway:Cors:Origins:0"] = "http://localhost:5173" });

        using var chat = await ChatAsync(client, Body("application/json"), origin);
        using var modelsRequest = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        modelsRequest.Headers.Add("Origin", origin);
        using var models = await client.SendAsync(modelsRequest);

        await ShouldBeRefusedAsync(chat, HttpStatusCode.Forbidden, "origin_not_allowed");
        await ShouldBeRefusedAsync(models, HttpStatusCode.Forbidden, "origin_not_allowed");
        _upstream.LogEntries.Should().BeEmpty();
    }

    [Fact]
    public async Task AConfiguredOriginOrTheGatewaysOwn_IsServedWhileAnotherIsNot()
    {
        var client = Client(new() { ["LlmGateway:Cors:Origins:0"] = "http://localhost:5173" }, "http://localhost:5080");

        using var configured = await ChatAsync(client, Body("application/json"), "http://localhost:5173");
        using var own = await ChatAsync(client, Body("application/json"), "http://localhost:5080");
        using var other = await ChatAsync(client, Body("application/json"), "http://localhost:5174");

        configured.StatusCode.Should().Be(HttpStatusCode.OK);
        configured.Headers.GetValues("Access-Control-Allow-Origin").Should().Equal("http://localhost:5173");
        own.StatusCode.Should().Be(HttpStatusCode.OK);
        other.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        _upstream.LogEntries.Should().HaveCount(2);
    }

    [Theory]
    [InlineData("http://evil.example")]
    [InlineData("http://attacker.com:5080")]
    [InlineData("http://localhost.attacker.com:5080")]
    [InlineData("http://127.0.0.1.attacker.com")]
    [InlineData("http://192.168.1.20:5080")]
    public async Task AForeignHost_IsRefusedOnEveryEndpointButHealth(string baseAddress)
    {
        var client = Client(baseAddress: baseAddress);

        using var chat = await ChatAsync(client, Body("application/json"));
        using var models = await client.GetAsync("/v1/models");
        using var unknown = await client.GetAsync("/v1/no/such/thing");
        using var health = await client.GetAsync("/health/live");

        await ShouldBeRefusedAsync(chat, HttpStatusCode.Forbidden, "host_not_allowed");
        await ShouldBeRefusedAsync(models, HttpStatusCode.Forbidden, "host_not_allowed");
        await ShouldBeRefusedAsync(unknown, HttpStatusCode.Forbidden, "host_not_allowed");
        (await ChatCompletionsTests.ReadErrorAsync(chat)).GetProperty("message").GetString().Should().Contain("LlmGateway:Auth:AllowedHosts");
        health.StatusCode.Should().Be(HttpStatusCode.OK, "probes address the host by an IP or a service name");
        _upstream.LogEntries.Should().BeEmpty();
    }

    [Theory]
    [InlineData("http://localhost")]
    [InlineData("http://localhost:5080")]
    [InlineData("http://LOCALHOST:5080")]
    [InlineData("http://app.localhost:5080")]
    [InlineData("http://127.0.0.1:5080")]
    [InlineData("http://127.10.20.30")]
    [InlineData("http://[::1]:5080")]
    public async Task ALoopbackHost_IsServedWithAnyPort(string baseAddress)
    {
        var client = Client(baseAddress: baseAddress);
        var foreign = Client(baseAddress: "http://attacker.com:5080");

        using var response = await ChatAsync(client, Body("application/json"));
        using var refused = await ChatAsync(foreign, Body("application/json"));

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task AHostInAllowedHosts_IsServed()
    {
        var settings = new Dictionary<string, string?>
        {
            ["LlmGateway:Auth:AllowedHosts:0"] = "gateway.internal",
            ["LlmGateway:Auth:AllowedHosts:1"] = "*.dev.example.com",
        };

        using var named = await ChatAsync(Client(settings, "http://gateway.internal:5080"), Body("application/json"));
        using var wildcard = await ChatAsync(Client(settings, "http://box.dev.example.com"), Body("application/json"));
        using var parent = await ChatAsync(Client(settings, "http://dev.example.com"), Body("application/json"));
        using var other = await ChatAsync(Client(settings, "http://gateway.internal.attacker.com"), Body("application/json"));

        named.StatusCode.Should().Be(HttpStatusCode.OK);
        wildcard.StatusCode.Should().Be(HttpStatusCode.OK);
        parent.StatusCode.Should().Be(HttpStatusCode.Forbidden, "*.dev.example.com names the subdomains only");
        other.StatusCode.Should().Be(HttpStatusCode.Forbidden);
    }
}
