using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Core.Tests.Routing;

/// <summary>Routing strategies registered by scanning an assembly, as a third party's would be.</summary>
public sealed class RoutingStrategyRegistrationTests
{
    private static ServiceProvider CreateServices(Action<ILlmGatewayBuilder> configure)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["LlmGateway:Providers:first:Type"] = ProviderTypes.OpenAI,
            ["LlmGateway:Providers:first:Models:0"] = "model-a",
            ["LlmGateway:Providers:first:Models:1"] = "model-b",
            ["LlmGateway:Models:smart:Strategy"] = ReverseStrategy.StrategyName,
            ["LlmGateway:Models:smart:Targets:0:Provider"] = "first",
            ["LlmGateway:Models:smart:Targets:0:Model"] = "model-a",
            ["LlmGateway:Models:smart:Targets:1:Provider"] = "first",
            ["LlmGateway:Models:smart:Targets:1:Model"] = "model-b",
        }).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new FakeEnvironmentVariables());
        services.AddSingleton<ILlmProviderFactory>(new FakeProviderFactory(ProviderTypes.OpenAI));
        configure(services.AddLlmGateway(configuration.GetSection(LlmGatewayOptions.SectionName)));
        return services.BuildServiceProvider();
    }

    [Fact]
    public void AddRoutingStrategiesFrom_AStrategyInAnAssembly_IsUsedByTheAliasThatNamesIt()
    {
        using var services = CreateServices(static builder => builder.AddRoutingStrategiesFrom(typeof(ReverseStrategy).Assembly));

        var targets = services.GetRequiredService<RouteTableProvider>().Current.Targets("smart");

        targets!.Select(static t => t.Model).Should().Equal("model-b", "model-a");
    }

    [Fact]
    public void AddRoutingStrategiesFrom_CalledTwice_RegistersEachStrategyOnce()
    {
        using var services = CreateServices(static builder => builder
            .AddRoutingStrategiesFrom(typeof(ReverseStrategy).Assembly)
            .AddRoutingStrategiesFrom(typeof(ReverseStrategy).Assembly));

        var names = services.GetServices<IRoutingStrategy>().Select(static s => s.Name).ToList();

        names.Should().OnlyHaveUniqueItems();
        names.Should().Contain([ReverseStrategy.StrategyName, RoutingStrategies.Fallback, RoutingStrategies.RoundRobin, RoutingStrategies.Weighted,
            RoutingStrategies.LeastBusy, RoutingStrategies.LeastLatency, RoutingStrategies.Cost]);
    }

    [Fact]
    public void AddLlmGateway_WithoutTheScan_DoesNotKnowTheStrategy()
    {
        using var services = CreateServices(static _ => { });

        services.GetServices<IRoutingStrategy>().Select(static s => s.Name).Should().NotContain(ReverseStrategy.StrategyName);
    }
}

/// <summary>A strategy of "another" assembly: the alias's targets, last first. It takes a service from the container.</summary>
public sealed class ReverseStrategy(TimeProvider clock) : IRoutingStrategy
{
    public const string StrategyName = "Reverse";

    public TimeProvider Clock { get; } = clock;

    public string Name => StrategyName;

    public IReadOnlyList<RouteTarget> Order(RoutingContext context) => [.. context.Targets.Reverse()];
}
