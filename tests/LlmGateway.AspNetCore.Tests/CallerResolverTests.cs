using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>Callers the app recognises itself (<see cref="ILlmGatewayCallerResolver"/>), next to gateway keys.</summary>
public sealed class CallerResolverTests : IDisposable
{
    private const string Key = "lgw-resolver-test-key";
    private const string TenantHeader = "x-test-tenant";
    private readonly WireMockServer _upstream = WireMockServer.Start();

    public CallerResolverTests()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
    }

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
    }

    private GatewayHost Host(Action<IServiceCollection> callers) => new(
        _upstream.Urls[0] + "/v1",
        new Dictionary<string, string?>
        {
            ["LlmGateway:Auth:Mode"] = "Gateway",
            ["LlmGateway:Auth:Keys:0:Key"] = Key,
            ["LlmGateway:Auth:Keys:0:Name"] = "team-a",
        },
        callers);

    private static Task<HttpResponseMessage> ChatAsync(HttpClient client, string? bearer = null, string? tenant = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi there"}]}""", Encoding.UTF8, "application/json"),
        };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        if (tenant is not null)
        {
            request.Headers.Add(TenantHeader, tenant);
        }

        return client.SendAsync(request);
    }

    private static async Task<string?> CodeOf(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.GetProperty("error").GetProperty("code").GetString();
    }

    [Fact]
    public async Task ResolvedCaller_IsLimitedAndBilledUnderItsId_WithoutAGatewayKey()
    {
        using var host = Host(static services => services.AddLlmGatewayCallerResolver<HeaderTenants>());
        using var client = host.CreateClient();

        using var first = await ChatAsync(client, tenant: "acme");
        using var second = await ChatAsync(client, tenant: "acme");

        first.StatusCode.Should().Be(HttpStatusCode.OK);
        first.Headers.GetValues("x-ratelimit-limit-requests").Should().Equal("1");
        second.StatusCode.Should().Be(HttpStatusCode.TooManyRequests);
        var refusal = await second.Content.ReadAsStringAsync();
        refusal.Should().Contain("\"code\":\"rate_limit_exceeded\"").And.Contain("Rate limit reached for caller 'tenant:acme' on requests per min");
        second.Headers.RetryAfter.Should().NotBeNull();
        var usage = await host.Services.GetRequiredService<IUsageStore>().ListAsync("tenant:acme", UsagePeriod.Day, DateTimeOffset.UtcNow, default);
        usage.Should().ContainSingle().Which.Requests.Should().Be(1);
    }

    [Fact]
    public async Task RequestNoResolverRecognises_IsAuthenticatedByGatewayKeyAsWithoutResolvers()
    {
        using var host = Host(static services => services.AddLlmGatewayCallerResolver<HeaderTenants>());
        using var client = host.CreateClient();

        using var withKey = await ChatAsync(client, bearer: Key);
        using var withoutKey = await ChatAsync(client);
        using var wrongKey = await ChatAsync(client, bearer: "not-a-key");

        withKey.StatusCode.Should().Be(HttpStatusCode.OK);
        withoutKey.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await CodeOf(withoutKey)).Should().Be("invalid_api_key");
        wrongKey.StatusCode.Should().Be(HttpStatusCode.Unauthorized);
        (await CodeOf(wrongKey)).Should().Be("invalid_api_key");
        var usage = await host.Services.GetRequiredService<IUsageStore>().ListAsync("team-a", UsagePeriod.Day, DateTimeOffset.UtcNow, default);
        usage.Should().ContainSingle().Which.Requests.Should().Be(1);
    }

    [Fact]
    public async Task PrincipalMapping_IsNotAskedForARequestWithoutAnAuthenticatedUser()
    {
        var asked = 0;
        using var host = Host(services => services.AddLlmGatewayCallers(_ =>
        {
            Interlocked.Increment(ref asked);
            return new GatewayCaller("everyone");
        }));
        using var client = host.CreateClient();

        using var response = await ChatAsync(client);

        response.StatusCode.Should().Be(HttpStatusCode.Unauthorized, "the thin host authenticates no users, so nobody is mapped");
        asked.Should().Be(0);
    }

    /// <summary>Recognises the tenant a test names in a header, with one request a minute.</summary>
    private sealed class HeaderTenants : ILlmGatewayCallerResolver
    {
        public ValueTask<GatewayCaller?> ResolveAsync(HttpContext context, CancellationToken cancellationToken) =>
            ValueTask.FromResult(context.Request.Headers[TenantHeader] is [{ Length: > 0 } tenant]
                ? new GatewayCaller("tenant:" + tenant, new KeyPolicyOptions { RequestsPerMinute = 1 })
                : null);
    }
}
