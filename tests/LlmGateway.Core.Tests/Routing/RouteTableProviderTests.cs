using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlmGateway.Core.Tests.Routing;

public sealed class RouteTableProviderTests : IDisposable
{
    private readonly IConfigurationRoot _configuration;
    private readonly ServiceProvider _services;

    public RouteTableProviderTests()
    {
        _configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["LlmGateway:Providers:first:Type"] = ProviderTypes.OpenAI,
                ["LlmGateway:Providers:first:Models:0"] = "model-a",
            })
            .Build();

        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new FakeEnvironmentVariables());
        services.AddSingleton<ILlmProviderFactory>(new FakeProviderFactory(ProviderTypes.OpenAI));
        services.AddLlmGateway(_configuration.GetSection(LlmGatewayOptions.SectionName));
        _services = services.BuildServiceProvider();
    }

    public void Dispose() => _services.Dispose();

    private RouteTableProvider CreateSut() => _services.GetRequiredService<RouteTableProvider>();

    private void Change(string key, string? value)
    {
        _configuration[key] = value;
        _configuration.Reload();
    }

    [Fact]
    public void Current_ValidConfiguration_BuildsTheTableFromIt()
    {
        var sut = CreateSut();

        var table = sut.Current;

        table.Providers.Select(p => p.Name).Should().Equal("first");
        table.Resolve("model-a")!.Value.Provider.Name.Should().Be("first");
        sut.Current.Should().BeSameAs(table, "the table is built once and then reused");
    }

    [Fact]
    public void Current_InvalidConfiguration_Throws()
    {
        _configuration["LlmGateway:Providers:first:Type"] = "Nope";
        var sut = CreateSut();

        var act = () => sut.Current;

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle(f => f.Contains("LlmGateway:Providers:first:Type", StringComparison.Ordinal));
    }

    [Fact]
    public void Reload_ValidChange_SwapsInANewTable()
    {
        var sut = CreateSut();
        var before = sut.Current;
        RouteTable? announced = null;
        sut.Changed += table => announced = table;

        Change("LlmGateway:Providers:second:Type", ProviderTypes.OpenAI);

        var after = sut.Current;
        after.Should().NotBeSameAs(before);
        after.Providers.Select(p => p.Name).Should().BeEquivalentTo("first", "second");
        after.GetProvider("second").Should().NotBeNull();
        announced.Should().BeSameAs(after);
        before.Providers.Select(p => p.Name).Should().Equal(["first"], "a table is an immutable snapshot");
    }

    [Fact]
    public void Reload_ChangedSetting_ReachesTheNewProviders()
    {
        var sut = CreateSut();
        _ = sut.Current;

        Change("LlmGateway:Providers:first:Models:0", "model-b");

        sut.Current.Resolve("model-b")!.Value.Provider.Name.Should().Be("first");
        sut.Current.Resolve("model-a").Should().BeNull();
    }

    [Fact]
    public void Reload_InvalidChange_KeepsTheLastGoodTable()
    {
        var sut = CreateSut();
        var before = sut.Current;
        var changes = 0;
        sut.Changed += _ => changes++;

        var act = () => Change("LlmGateway:Providers:first:Type", "Nope");

        act.Should().NotThrow();
        sut.Current.Should().BeSameAs(before);
        changes.Should().Be(0);
    }

    [Fact]
    public void Reload_UnknownKey_KeepsTheLastGoodTable()
    {
        var sut = CreateSut();
        var before = sut.Current;

        var act = () => Change("LlmGateway:Providers:first:ApiKeyy", "sk");

        act.Should().NotThrow();
        sut.Current.Should().BeSameAs(before);
    }

    [Fact]
    public void Reload_UnconvertibleValue_KeepsTheLastGoodTable()
    {
        var sut = CreateSut();
        var before = sut.Current;

        var act = () => Change("LlmGateway:RequestTimeout", "soon");

        act.Should().NotThrow();
        sut.Current.Should().BeSameAs(before);
    }

    [Fact]
    public void Reload_InvalidChangeWhileTheOptionsMonitorIsInUse_KeepsTheLastGoodTableAndKeepsListening()
    {
        // In a host, ValidateOnStart creates the options monitor, whose own change callback throws for an invalid
        // reload; the table must not depend on it.
        var sut = CreateSut();
        var before = sut.Current;
        _ = _services.GetRequiredService<IOptionsMonitor<LlmGatewayOptions>>().CurrentValue;

        try
        {
            Change("LlmGateway:Providers:first:Type", "Nope");
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OptionsValidationException))
        {
            // The options monitor's callback, not the table's.
        }

        sut.Current.Should().BeSameAs(before);
        Change("LlmGateway:Providers:first:Type", ProviderTypes.OpenAI);
        Change("LlmGateway:Providers:second:Type", ProviderTypes.OpenAI);
        sut.Current.Providers.Select(p => p.Name).Should().BeEquivalentTo("first", "second");
    }

    [Fact]
    public void Reload_ValueThatCannotBeBound_KeepsTheLastGoodTableAndKeys()
    {
        Change("LlmGateway:Auth:Keys:0:Key", "lgw-0123456789abcdef");
        Change("LlmGateway:Auth:Keys:0:Name", "team-a");
        var sut = CreateSut();
        var keys = _services.GetRequiredService<KeyRegistry>();
        var before = sut.Current;
        keys.ConfiguredKeys().Select(k => k.Id).Should().Equal("team-a");
        _ = _services.GetRequiredService<IOptionsMonitor<LlmGatewayOptions>>().CurrentValue;

        try
        {
            Change("LlmGateway:Auth:Keys:0:TokensPerMinute", "10000000000");
        }
        catch (AggregateException ex) when (ex.InnerExceptions.All(e => e is OptionsValidationException))
        {
            // The options monitor's callback, not the table's.
        }

        sut.Current.Should().BeSameAs(before);
        keys.ConfiguredKeys().Select(k => k.Id).Should().Equal(["team-a"], "the key is kept, not dropped by the binder");
        keys.ConfiguredKeys()[0].TokensPerMinute.Should().BeNull();
    }

    [Fact]
    public void Reload_ValidChangeAfterAnInvalidOne_SwapsInTheNewTable()
    {
        var sut = CreateSut();
        var before = sut.Current;
        Change("LlmGateway:Providers:second:Type", "Nope");

        Change("LlmGateway:Providers:second:Type", ProviderTypes.OpenAI);

        sut.Current.Should().NotBeSameAs(before);
        sut.Current.Providers.Select(p => p.Name).Should().BeEquivalentTo("first", "second");
    }

    [Fact]
    public void Reload_ProviderSectionWithoutSettings_KeepsTheLastGoodTable()
    {
        // "Providers": { "second": null } in appsettings.json: an invalid change like any other.
        var sut = CreateSut();
        var before = sut.Current;

        var act = () => Change("LlmGateway:Providers:second", null);

        act.Should().NotThrow();
        sut.Current.Should().BeSameAs(before);
    }

    [Fact]
    public void Reload_AfterDispose_NoLongerSwapsTables()
    {
        var sut = CreateSut();
        var before = sut.Current;

        sut.Dispose();
        Change("LlmGateway:Providers:second:Type", ProviderTypes.OpenAI);

        sut.Current.Should().BeSameAs(before);
    }
}
