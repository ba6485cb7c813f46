using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Routing;

/// <summary>Whether a target continues a prefilled answer: the alias target's setting, else the catalog's, else its
/// provider type's default.</summary>
public class RouteTargetPrefillTests
{
    private static RouteTable CreateSut(Action<LlmGatewayOptions>? configure = null)
    {
        var options = new LlmGatewayOptions();
        options.Providers["openai"] = new ProviderOptions { Type = ProviderTypes.OpenAI };
        options.Providers["gemini"] = new ProviderOptions { Type = ProviderTypes.Gemini };
        options.Providers["custom"] = new ProviderOptions { Type = "Custom" };
        configure?.Invoke(options);
        return new RouteTable(
            options,
            [new FakeProvider("openai", ProviderTypes.OpenAI), new FakeProvider("gemini", ProviderTypes.Gemini), new FakeProvider("custom", "Custom")],
            [new FallbackStrategy()]);
    }

    [Theory]
    [InlineData("openai/gpt-4o", false)]
    [InlineData("openai/some-compatible-model", false)]
    [InlineData("gemini/gemini-2.5-flash", true)]
    [InlineData("gemini/gemini-9-future", true)]
    [InlineData("custom/anything", null)]
    public void Targets_NoSetting_TakesTheProviderTypesDefault(string model, bool? expected)
    {
        var sut = CreateSut();

        sut.Targets(model)!.Single().Prefill.Should().Be(expected);
    }

    [Fact]
    public void Targets_CatalogSetting_OverridesTheProviderTypesDefault()
    {
        var sut = CreateSut(o =>
        {
            o.Catalog["gpt-4o"] = new ModelCatalogOptions { Prefill = true };
            o.Catalog["gemini-2.5-flash"] = new ModelCatalogOptions { Prefill = false };
        });

        sut.Targets("openai/gpt-4o-2024-08-06")!.Single().Prefill.Should().BeTrue("a dated id takes its family's entry");
        sut.Targets("gemini/gemini-2.5-flash")!.Single().Prefill.Should().BeFalse();
        sut.Targets("openai/gpt-4o")!.Single().ContextWindow.Should().Be(128_000, "the built-in facts stay");
    }

    [Fact]
    public void Targets_AliasTargetSetting_OverridesTheCatalog()
    {
        var sut = CreateSut(o =>
        {
            o.Catalog["gpt-4o"] = new ModelCatalogOptions { Prefill = true };
            o.Models["smart"] = new ModelAliasOptions
            {
                Targets =
                [
                    new RouteTargetOptions { Provider = "openai", Model = "gpt-4o", Prefill = false },
                    new RouteTargetOptions { Provider = "custom", Model = "local", Prefill = true },
                    new RouteTargetOptions { Provider = "gemini", Model = "gemini-2.5-flash" },
                ],
            };
        });

        sut.Targets("smart")!.Select(t => t.Prefill).Should().Equal(false, true, true);
    }
}
