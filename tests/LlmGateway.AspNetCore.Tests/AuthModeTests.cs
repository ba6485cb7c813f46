using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Internal;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>The auth modes end to end: what each accepts and refuses, which key reaches the upstream, and that no key
/// ever reaches a log line.</summary>
public sealed class AuthModeTests : IDisposable
{
    private const string GatewayKey = "lgw-test-gateway-key-0001";
    private const string HashedGatewayKey = "lgw-test-hashed-key-0002";
    private const string ExpiredGatewayKey = "lgw-test-expired-key-0003";
    private const string LimitedGatewayKey = "lgw-test-limited-key-0004";
    private const string BroughtKey = "sk-caller-own-provider-key-0005";
    private const string AdminKey = "admin-test-key-0006";
    private const string PinLimitedGatewayKey = "lgw-test-pin-limited-key-0007";
    private const string BackupOnlyGatewayKey = "lgw-test-backup-only-key-0008";

    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly WireMockServer _otherUpstream = WireMockServer.Start();
    private readonly CapturingLoggerProvider _logs = new();

    public AuthModeTests()
    {
        foreach (var server in new[] { _upstream, _otherUpstream })
        {
            server.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
                .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
            server.Given(Request.Create().WithPath("/v1/models").UsingGet())
                .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.Models));
        }
    }

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
        _otherUpstream.Stop();
        _otherUpstream.Dispose();
    }

    private GatewayHost Host(string mode, Dictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["LlmGateway:Auth:Mode"] = mode,
            ["LlmGateway:Auth:AdminKey"] = AdminKey,
            ["LlmGateway:Auth:Keys:0:Key"] = GatewayKey,
            ["LlmGateway:Auth:Keys:0:Name"] = "team-a",
            ["LlmGateway:Auth:Keys:1:KeyHash"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(HashedGatewayKey))),
            ["LlmGateway:Auth:Keys:1:Name"] = "team-b",
            ["LlmGateway:Auth:Keys:2:Key"] = ExpiredGatewayKey,
            ["LlmGateway:Auth:Keys:2:ExpiresAt"] = "2020-01-01T00:00:00Z",
            ["LlmGateway:Auth:Keys:3:Key"] = LimitedGatewayKey,
            ["LlmGateway:Auth:Keys:3:Name"] = "limited",
            ["LlmGateway:Auth:Keys:3:AllowedModels:0"] = "gpt-4o*",
            ["LlmGateway:Auth:Keys:4:Key"] = PinLimitedGatewayKey,
            ["LlmGateway:Auth:Keys:4:Name"] = "pin-limited",
            ["LlmGateway:Auth:Keys:4:AllowedModels:0"] = "gpt-4o-mini",
            ["LlmGateway:Auth:Keys:4:AllowedModels:1"] = "spread",
            ["LlmGateway:Auth:Keys:5:Key"] = BackupOnlyGatewayKey,
            ["LlmGateway:Auth:Keys:5:Name"] = "backup-only",
            ["LlmGateway:Auth:Keys:5:AllowedModels:0"] = "backup/*",
            ["LlmGateway:Providers:backup:Type"] = "OpenAI",
            ["LlmGateway:Providers:backup:BaseUrl"] = _otherUpstream.Urls[0] + "/v1",
            ["LlmGateway:Providers:backup:ApiKey"] = "backup-configured-key",
            ["LlmGateway:Models:spread:Strategy"] = "Fallback",
            ["LlmGateway:Models:spread:Targets:0:Provider"] = "openai",
            ["LlmGateway:Models:spread:Targets:0:Model"] = "gpt-4o-mini",
            ["LlmGateway:Models:spread:Targets:1:Provider"] = "backup",
            ["LlmGateway:Models:spread:Targets:1:Model"] = "gpt-4o-mini",
        };
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return new GatewayHost(_upstream.Urls[0] + "/v1", settings, services => services.AddSingleton<ILoggerProvider>(_logs));
    }

    private static async Task<HttpResponseMessage> ChatAsync(HttpClient client, string? bearer, string model = "gpt-4o-mini", string? providerKey = null, string? pin = null, string? fallback = null)
    {
        var fallbacks = fallback is null ? string.Empty : $$""","fallbacks":["{{fallback}}"]""";
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent($$"""{"model":"{{model}}"{{fallbacks}},"messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"),
        };
        if (pin is not null)
        {
            request.Headers.Add("x-llmgateway-provider", pin);
        }

        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (providerKey is not null)
        {
            request.Headers.Add("x-llmgateway-provider-key", providerKey);
        }

        return await client.SendAsync(request);
    }

    private static async Task<JsonElement> ErrorOf(HttpResponseMessage response)
    {
        response.Content.Headers.ContentType!.MediaType.Should().Be("application/json");
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var error = document.RootElement.GetProperty("error").Clone();
        error.TryGetProperty("message", out _).Should().BeTrue();
        error.TryGetProperty("type", out _).Should().BeTrue();
        error.TryGetProperty("param", out _).Should().BeTrue();
        error.TryGetProperty("code", out _).Should().BeTrue();
        return error;
    }

    private static string UpstreamAuthorization(WireMockServer server) =>
        server.LogEntries.Should().ContainSingle().Subject.RequestMessage.Headers!["Authorization"].Single();

    [Theory]
    [InlineData(null)]
    [InlineData("lgw-unknown")]
    [InlineData(ExpiredGatewayKey)]
    public async Task GatewayMode_RefusesAMissingUnknownOrExpiredKeyWith401(string? key)
    {
        using var host = Host("Gateway");
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, key);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        var error = await ErrorOf(response);
        error.GetProperty("code").GetString().Should().Be("invalid_api_key");
        error.GetProperty("type").GetString().Should().Be("invalid_request_error");
        _upstream.LogEntries.Should().BeEmpty("a refused call never reaches the upstream");
    }

    [Theory]
    [InlineData(GatewayKey)]
    [InlineData(HashedGatewayKey)]
    public async Task GatewayMode_AcceptsAPlainOrHashedConfiguredKeyAndSendsTheConfiguredProviderKey(string key)
    {
        using var host = Host("Gateway");
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, key);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        UpstreamAuthorization(_upstream).Should().Be($"Bearer {TestKeys.Upstream}");
    }

    [Fact]
    public async Task GatewayMode_IgnoresAProviderKeyHeader()
    {
        using var host = Host("Gateway");
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, GatewayKey, providerKey: BroughtKey);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        UpstreamAuthorization(_upstream).Should().Be($"Bearer {TestKeys.Upstream}");
    }

    [Fact]
    public async Task AModelTheKeyMayNotUseIsRefusedWith403AndHiddenFromTheModelList()
    {
        using var host = Host("Gateway");
        using var client = host.CreateClient();

        using var allowed = await ChatAsync(client, LimitedGatewayKey, "gpt-4o-mini");
        using var refused = await ChatAsync(client, LimitedGatewayKey, "llama3.2");

        allowed.StatusCode.Should().Be(HttpStatusCode.OK);
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var error = await ErrorOf(refused);
        error.GetProperty("param").GetString().Should().Be("model");
        error.GetProperty("message").GetString().Should().Contain("llama3.2");

        using var listRequest = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        listRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", LimitedGatewayKey);
        using var list = await client.SendAsync(listRequest);
        using var models = JsonDocument.Parse(await list.Content.ReadAsStringAsync());
        var ids = models.RootElement.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        ids.Should().NotBeEmpty().And.OnlyContain(id => id!.StartsWith("gpt-4o", StringComparison.Ordinal) || id.Contains("/gpt-4o", StringComparison.Ordinal));
    }

    [Fact]
    public async Task APinnedInstanceTheKeyMayNotUse_Is403AndNeverReachesTheUpstream()
    {
        // The key may use gpt-4o-mini as the gateway routes it, but not openai/gpt-4o-mini named outright: the pin
        // makes the request exactly that id, so it is refused as that id is.
        using var host = Host("Gateway");
        using var client = host.CreateClient();

        using var named = await ChatAsync(client, PinLimitedGatewayKey, "openai/gpt-4o-mini");
        using var pinned = await ChatAsync(client, PinLimitedGatewayKey, "gpt-4o-mini", pin: "openai");

        named.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        pinned.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        var error = await ErrorOf(pinned);
        error.GetProperty("code").GetString().Should().Be("model_not_allowed");
        error.GetProperty("param").GetString().Should().Be("x-llmgateway-provider");
        error.GetProperty("message").GetString().Should().Contain("openai/gpt-4o-mini");
        _upstream.LogEntries.Should().BeEmpty();
        _otherUpstream.LogEntries.Should().BeEmpty();
    }

    [Fact]
    public async Task APinThatPicksAFallbacksTarget_IsCheckedAsThatInstanceAndModel()
    {
        // gpt-4o-mini has no target on 'backup', its fallback 'spread' has: the pin sends the request to
        // backup/gpt-4o-mini, which this key may not use.
        using var host = Host("Gateway");
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, PinLimitedGatewayKey, "gpt-4o-mini", pin: "backup", fallback: "spread");

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        (await ErrorOf(response)).GetProperty("message").GetString().Should().Contain("backup/gpt-4o-mini");
        _upstream.LogEntries.Should().BeEmpty();
        _otherUpstream.LogEntries.Should().BeEmpty();
    }

    [Fact]
    public async Task APinnedInstanceTheKeyMayUse_IsServedThere()
    {
        using var host = Host("Gateway");
        using var client = host.CreateClient();

        using var pinned = await ChatAsync(client, BackupOnlyGatewayKey, "gpt-4o-mini", pin: "backup");
        using var unpinned = await ChatAsync(client, BackupOnlyGatewayKey, "gpt-4o-mini");
        using var otherPin = await ChatAsync(client, BackupOnlyGatewayKey, "gpt-4o-mini", pin: "openai");

        pinned.StatusCode.Should().Be(HttpStatusCode.OK);
        pinned.Headers.GetValues("x-llmgateway-provider").Should().Equal("backup");
        unpinned.StatusCode.Should().Be(HttpStatusCode.Forbidden, "unpinned, gpt-4o-mini goes to openai");
        otherPin.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        _otherUpstream.LogEntries.Should().ContainSingle();
        _upstream.LogEntries.Should().BeEmpty();
    }

    [Fact]
    public async Task ClientMode_SendsTheCallersBearerTokenUpstreamInsteadOfTheConfiguredKey()
    {
        using var host = Host("Client");
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, BroughtKey);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        UpstreamAuthorization(_upstream).Should().Be($"Bearer {BroughtKey}");
    }

    [Fact]
    public async Task ClientMode_WithoutABearerTokenIs401()
    {
        using var host = Host("Client");
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, bearer: null);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await ErrorOf(response)).GetProperty("code").GetString().Should().Be("invalid_api_key");
    }

    [Fact]
    public async Task ClientMode_PolicyStillApplies()
    {
        using var host = Host("Client", new() { ["LlmGateway:Auth:Client:AllowedModels:0"] = "gpt-4o-mini" });
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, BroughtKey, "llama3.2");

        response.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        _upstream.LogEntries.Should().BeEmpty();
    }

    [Fact]
    public async Task ABroughtKeyNeverGoesToAnotherUpstreamOnFailover()
    {
        _upstream.Reset();
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(503).WithHeader("Content-Type", "application/json").WithBody("""{"error":{"message":"down","type":"server_error","param":null,"code":null}}"""));
        using var host = Host("Client");
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, BroughtKey, "spread");

        response.StatusCode.Should().Be(HttpStatusCode.ServiceUnavailable, "the only target on the key's own upstream failed");
        _otherUpstream.LogEntries.Should().BeEmpty("the caller's key was issued for the first target's upstream only");
    }

    [Fact]
    public async Task WithoutABroughtKeyFailoverCrossesUpstreamsWithTheirConfiguredKeys()
    {
        _upstream.Reset();
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(503).WithHeader("Content-Type", "application/json").WithBody("""{"error":{"message":"down","type":"server_error","param":null,"code":null}}"""));
        using var host = Host("Gateway");
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, GatewayKey, "spread");

        response.StatusCode.Should().Be(HttpStatusCode.OK);
        UpstreamAuthorization(_otherUpstream).Should().Be("Bearer backup-configured-key");
    }

    [Fact]
    public async Task HybridMode_UsesTheProviderKeyHeaderWhenGivenAndTheConfiguredKeyOtherwise()
    {
        using var host = Host("Hybrid");
        using var client = host.CreateClient();

        using (var withOwn = await ChatAsync(client, GatewayKey, providerKey: BroughtKey))
        {
            withOwn.StatusCode.Should().Be(HttpStatusCode.OK);
            UpstreamAuthorization(_upstream).Should().Be($"Bearer {BroughtKey}");
        }

        _upstream.ResetLogEntries();
        using (var without = await ChatAsync(client, GatewayKey))
        {
            without.StatusCode.Should().Be(HttpStatusCode.OK);
            UpstreamAuthorization(_upstream).Should().Be($"Bearer {TestKeys.Upstream}");
        }
    }

    [Fact]
    public async Task HybridMode_StillNeedsAGatewayKey()
    {
        using var host = Host("Hybrid");
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, BroughtKey, providerKey: BroughtKey);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        _upstream.LogEntries.Should().BeEmpty();
    }

    [Fact]
    public async Task NoneMode_ServesLoopbackCallersWithoutAKey()
    {
        using var host = Host("None");
        using var client = host.CreateClient();

        using var response = await ChatAsync(client, bearer: null);

        response.StatusCode.Should().Be(HttpStatusCode.OK);
    }

    [Fact]
    public void NoneMode_AHostListeningBeyondLoopbackFailsToStartNamingTheAddressAndTheSettings()
    {
        using var host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?> { ["LlmGateway:Auth:Mode"] = "None" })
        {
            ListenUrl = "http://0.0.0.0:0",
        };

        var start = () => host.StartKestrel();

        // The start throws once Kestrel has bound the address; the library does not stop the process itself.
        start.Should().Throw<InvalidOperationException>()
            .Which.Message.Should().Contain("http://0.0.0.0:")
            .And.Contain("LlmGateway:Auth:Mode")
            .And.Contain("LlmGateway:Auth:AllowNoneBeyondLoopback");
    }

    [Fact]
    public void NoneMode_ALoopbackHostKeepsRunning()
    {
        using var host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?> { ["LlmGateway:Auth:Mode"] = "None" });

        host.StartKestrel();

        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested.Should().BeFalse();
        host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Should().ContainSingle();
    }

    [Fact]
    public void NoneMode_AllowedBeyondLoopbackWhenExplicitlySet()
    {
        using var host = new GatewayHost(_upstream.Urls[0] + "/v1", new Dictionary<string, string?> { ["LlmGateway:Auth:Mode"] = "None", ["LlmGateway:Auth:AllowNoneBeyondLoopback"] = "true" })
        {
            ListenUrl = "http://0.0.0.0:0",
        };

        host.StartKestrel();

        host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested.Should().BeFalse();
    }

    [Theory]
    [InlineData("http://localhost:5080", true)]
    [InlineData("http://127.0.0.1:0", true)]
    [InlineData("http://[::1]:5080", true)]
    [InlineData("http://0.0.0.0:5080", false)]
    [InlineData("http://+:80", false)]
    [InlineData("http://*:80", false)]
    [InlineData("http://10.1.2.3:80", false)]
    public void LoopbackAddressesAreRecognised(string address, bool loopback) =>
        NoneModeGuard.IsLoopback(address).Should().Be(loopback);

    [Fact]
    public async Task NoKeyOfAnyKindEverAppearsInALogLine()
    {
        // Every mode, each kind of key, successes and refusals, with logging at its most verbose.
        foreach (var mode in new[] { "Gateway", "Hybrid", "Client" })
        {
            using var host = Host(mode, new() { ["Logging:LogLevel:Default"] = "Trace" });
            using var client = host.CreateClient();
            (await ChatAsync(client, GatewayKey, providerKey: BroughtKey)).Dispose();
            (await ChatAsync(client, BroughtKey)).Dispose();
            (await ChatAsync(client, LimitedGatewayKey, "llama3.2", providerKey: BroughtKey)).Dispose();
            (await ChatAsync(client, ExpiredGatewayKey)).Dispose();
            (await ChatAsync(client, HashedGatewayKey, "spread")).Dispose();
            using var admin = new HttpRequestMessage(HttpMethod.Get, "/admin/keys");
            admin.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            (await client.SendAsync(admin)).Dispose();
        }

        _logs.Lines.Should().NotBeEmpty("the test must see the log lines it checks");
        foreach (var secret in new[] { GatewayKey, HashedGatewayKey, ExpiredGatewayKey, LimitedGatewayKey, BroughtKey, AdminKey, TestKeys.Upstream, "backup-configured-key" })
        {
            _logs.Lines.Should().NotContain(line => line.Contains(secret, StringComparison.Ordinal), $"'{secret}' is a key");
        }
    }
}
