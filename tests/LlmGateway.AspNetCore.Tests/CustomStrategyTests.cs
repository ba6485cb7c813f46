using System.Text;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using LlmGateway.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>A routing strategy of the application's own sees what the built-in ones see: here each target's measured
/// latency, taken from real calls to two upstreams, one of which is slow.</summary>
public sealed class CustomStrategyTests : IDisposable
{
    private readonly WireMockServer _slow = WireMockServer.Start();
    private readonly WireMockServer _fast = WireMockServer.Start();

    public CustomStrategyTests()
    {
        _slow.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion).WithDelay(TimeSpan.FromMilliseconds(600)));
        _fast.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
    }

    public void Dispose()
    {
        _slow.Dispose();
        _fast.Dispose();
    }

    [Fact]
    public async Task AStrategyReadingPerTargetLatencyPicksTheFasterUpstream()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new NoEnvironment());
        services.AddLlmGateway(options =>
        {
            options.Providers["slow"] = new ProviderOptions { Type = ProviderTypes.OpenAI, BaseUrl = _slow.Urls[0] + "/v1", ApiKey = TestKeys.Upstream };
            options.Providers["fast"] = new ProviderOptions { Type = ProviderTypes.OpenAI, BaseUrl = _fast.Urls[0] + "/v1", ApiKey = TestKeys.Upstream };
            options.Models["chat"] = new ModelAliasOptions
            {
                Strategy = FastestFirst.StrategyName,
                Targets = [new RouteTargetOptions { Provider = "slow", Model = "gpt-4o-mini" }, new RouteTargetOptions { Provider = "fast", Model = "gpt-4o-mini" }],
            };
        }).AddOpenAI();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IRoutingStrategy, FastestFirst>());
        await using var provider = services.BuildServiceProvider();
        var gateway = provider.GetRequiredService<ILlmGateway>();

        // Unmeasured targets go first, in configuration order: the first request measures the slow one, the second the
        // fast one; from then on the measured latencies decide.
        for (var i = 0; i < 5; i++)
        {
            await using var response = await gateway.SendAsync(new GatewayRequest(
                GatewayOperation.ChatCompletions,
                Encoding.UTF8.GetBytes("""{"model":"chat","messages":[{"role":"user","content":"Hi"}]}""")));
            response.StatusCode.Should().Be(200);
        }

        _slow.LogEntries.Should().HaveCount(1, "once measured, the slow upstream is ordered after the fast one");
        _fast.LogEntries.Should().HaveCount(4);
    }

    /// <summary>Targets not measured yet first, then the lowest latency first.</summary>
    private sealed class FastestFirst : IRoutingStrategy
    {
        public const string StrategyName = "FastestFirst";

        public string Name => StrategyName;

        public IReadOnlyList<RouteTarget> Order(RoutingContext context) =>
            [.. context.Targets.OrderBy(t => context.GetState(t).Latency ?? TimeSpan.Zero)];
    }

    private sealed class NoEnvironment : IEnvironmentVariables
    {
        public string? Get(string name) => null;
    }
}
