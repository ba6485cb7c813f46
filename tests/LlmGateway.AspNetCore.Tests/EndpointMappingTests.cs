using System.Net;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using LlmGateway.Internal;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// The three mapping calls each map their own endpoints and nothing else, over a real Kestrel socket on loopback:
/// <c>MapLlmGateway</c> the OpenAI-compatible API, <c>MapLlmGatewayHealth</c> the health endpoints,
/// <c>MapLlmGatewayAdmin</c> the admin API.
/// </summary>
public sealed class EndpointMappingTests
{
    private const string AdminKey = "admin-key-for-mapping-tests";

    [Fact]
    public async Task MapLlmGatewayAlone_ServesTheApiButNeitherHealthNorAdmin()
    {
        await using var app = Build(static app => app.MapLlmGateway(), new() { ["LlmGateway:Auth:Mode"] = "None" });
        using var client = await StartAsync(app);

        using var models = await client.GetAsync("/v1/models");
        models.StatusCode.Should().Be(HttpStatusCode.OK);
        models.Headers.Contains("x-request-id").Should().BeTrue();

        foreach (var path in new[] { "/health", "/health/live", "/health/ready", "/admin/keys" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            request.Headers.Authorization = new("Bearer", AdminKey);
            using var response = await client.SendAsync(request);

            // The app's own 404: no endpoint, no gateway envelope, no request id.
            response.StatusCode.Should().Be(HttpStatusCode.NotFound, path);
            (await response.Content.ReadAsStringAsync()).Should().BeEmpty(path);
            response.Headers.Contains("x-request-id").Should().BeFalse(path);
        }
    }

    [Fact]
    public async Task MapLlmGatewayHealthAlone_ServesTheHealthEndpointsOnly()
    {
        await using var app = Build(static app => app.MapLlmGatewayHealth());
        using var client = await StartAsync(app);

        foreach (var path in new[] { "/health", "/health/live", "/health/ready" })
        {
            using var response = await client.GetAsync(path);

            response.StatusCode.Should().Be(HttpStatusCode.OK, path);
            response.Headers.Contains("x-request-id").Should().BeTrue(path);
            using var report = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
            report.RootElement.GetProperty("status").GetString().Should().Be("Healthy", path);
        }

        using var models = await client.GetAsync("/v1/models");
        models.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await models.Content.ReadAsStringAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task MapLlmGatewayAdminAlone_ServesTheAdminApiOnly()
    {
        await using var app = Build(static app => app.MapLlmGatewayAdmin());
        using var client = await StartAsync(app);

        using var request = new HttpRequestMessage(HttpMethod.Get, "/admin/keys");
        request.Headers.Authorization = new("Bearer", AdminKey);
        using var keys = await client.SendAsync(request);
        keys.StatusCode.Should().Be(HttpStatusCode.OK);
        keys.Headers.Contains("x-request-id").Should().BeTrue();

        using var health = await client.GetAsync("/health");
        health.StatusCode.Should().Be(HttpStatusCode.NotFound);
        (await health.Content.ReadAsStringAsync()).Should().BeEmpty();
    }

    [Fact]
    public async Task EveryMappingCalled_StartsOnceInModeNoneOnLoopbackAndServesEachGroup()
    {
        await using var app = Build(
            static app =>
            {
                app.MapLlmGatewayHealth();
                app.MapLlmGatewayAdmin();
                app.MapLlmGateway();
            },
            new() { ["LlmGateway:Auth:Mode"] = "None" });
        using var client = await StartAsync(app);

        (await client.GetAsync("/v1/models")).StatusCode.Should().Be(HttpStatusCode.OK);
        (await client.GetAsync("/health/live")).StatusCode.Should().Be(HttpStatusCode.OK);

        // Health answers any Host in mode None; the API does not.
        using var probe = new HttpRequestMessage(HttpMethod.Get, "/health/live");
        probe.Headers.Host = "gateway.internal";
        (await client.SendAsync(probe)).StatusCode.Should().Be(HttpStatusCode.OK);
        using var api = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        api.Headers.Host = "gateway.internal";
        using var refused = await client.SendAsync(api);
        refused.StatusCode.Should().Be(HttpStatusCode.Forbidden);
        using var envelope = JsonDocument.Parse(await refused.Content.ReadAsStringAsync());
        envelope.RootElement.GetProperty("error").GetProperty("code").GetString().Should().Be("host_not_allowed");
    }

    [Theory]
    [InlineData("api")]
    [InlineData("health")]
    [InlineData("admin")]
    public async Task NoneModeBeyondLoopback_AnyMappingAlone_MakesTheStartThrowNamingTheAddressAndTheSettings(string mapping)
    {
        await using var app = Build(
            app => _ = mapping switch
            {
                "api" => app.MapLlmGateway(),
                "health" => app.MapLlmGatewayHealth(),
                _ => app.MapLlmGatewayAdmin(),
            },
            new() { ["LlmGateway:Auth:Mode"] = "None" },
            "http://0.0.0.0:0");

        var start = () => app.StartAsync();

        var failure = (await start.Should().ThrowAsync<InvalidOperationException>()).Which;
        failure.Message.Should().Contain("http://0.0.0.0:")
            .And.Contain("LlmGateway:Auth:Mode")
            .And.Contain("LlmGateway:Auth:AllowNoneBeyondLoopback");
        app.Services.GetRequiredService<Microsoft.Extensions.Hosting.IHostApplicationLifetime>().ApplicationStopping.IsCancellationRequested
            .Should().BeFalse("the library refuses the start rather than stopping the app");
    }

    private static WebApplication Build(Action<WebApplication> map, Dictionary<string, string?>? settings = null, string url = "http://127.0.0.1:0")
    {
        var builder = WebApplication.CreateBuilder();
        builder.Configuration.Sources.Clear();
        var all = new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:openai:ApiKey"] = TestKeys.Upstream,
            ["LlmGateway:Providers:openai:BaseUrl"] = "http://127.0.0.1:9/v1",
            ["LlmGateway:Auth:AdminKey"] = AdminKey,
        };
        foreach (var (key, value) in settings ?? [])
        {
            all[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(all);
        builder.WebHost.UseUrls(url);
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<IEnvironmentVariables>(new NoEnvironment());
        builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName)).AddOpenAI();
        WebApplication app;
        lock (HostBuildGate.Gate)
        {
            app = builder.Build();
        }

        map(app);
        return app;
    }

    private static async Task<HttpClient> StartAsync(WebApplication app)
    {
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new HttpClient { BaseAddress = new Uri(address) };
    }

    private sealed class NoEnvironment : IEnvironmentVariables
    {
        public string? Get(string name) => null;
    }
}
