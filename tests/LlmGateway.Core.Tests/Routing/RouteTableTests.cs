using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Routing;

public class RouteTableTests
{
    private static RouteTable CreateSut(params (string Name, string Type, string[] Models)[] instances)
    {
        var options = new LlmGatewayOptions();
        var providers = new List<ILlmProvider>();
        foreach (var (name, type, models) in instances)
        {
            options.Providers[name] = new ProviderOptions { Type = type, Models = [.. models] };
            providers.Add(new FakeProvider(name, type));
        }

        return new RouteTable(options, providers);
    }

    private static (string Name, string Type, string[] Models) Instance(string name, string type = ProviderTypes.OpenAI, params string[] models) =>
        (name, type, models);

    [Fact]
    public void Resolve_InstancePrefix_PicksThatInstanceAndStripsThePrefix()
    {
        var sut = CreateSut(Instance("openai"), Instance("ollama"));

        var route = sut.Resolve("ollama/llama3");

        route.Should().NotBeNull();
        route!.Value.Provider.Name.Should().Be("ollama");
        route.Value.UpstreamModel.Should().Be("llama3");
    }

    [Theory]
    [InlineData("OLLAMA/llama3")]
    [InlineData("Ollama/llama3")]
    public void Resolve_InstancePrefixInAnotherCase_PicksThatInstance(string model)
    {
        var sut = CreateSut(Instance("openai"), Instance("ollama"));

        var route = sut.Resolve(model);

        route.Should().NotBeNull();
        route!.Value.Provider.Name.Should().Be("ollama");
        route.Value.UpstreamModel.Should().Be("llama3");
    }

    [Fact]
    public void Resolve_InstancePrefixBeforeAnIdWithASlash_StripsOnlyTheInstanceName()
    {
        var sut = CreateSut(Instance("vllm"));

        var route = sut.Resolve("vllm/meta-llama/Llama-3");

        route.Should().NotBeNull();
        route!.Value.Provider.Name.Should().Be("vllm");
        route.Value.UpstreamModel.Should().Be("meta-llama/Llama-3");
    }

    [Fact]
    public void Resolve_InstancePrefix_WinsOverTheCatalogAndListedModels()
    {
        var sut = CreateSut(Instance("openai", ProviderTypes.OpenAI, "gpt-4o"), Instance("proxy"));

        var route = sut.Resolve("proxy/gpt-4o");

        route!.Value.Provider.Name.Should().Be("proxy");
        route.Value.UpstreamModel.Should().Be("gpt-4o");
    }

    [Fact]
    public void Resolve_PrefixThatIsNotAnInstance_LooksUpTheWholeId()
    {
        var sut = CreateSut(Instance("openai"), Instance("vllm", ProviderTypes.OpenAI, "meta-llama/Llama-3"));

        var route = sut.Resolve("meta-llama/Llama-3");

        route.Should().NotBeNull();
        route!.Value.Provider.Name.Should().Be("vllm");
        route.Value.UpstreamModel.Should().Be("meta-llama/Llama-3");
    }

    [Fact]
    public void Resolve_PrefixThatIsNotAnInstanceAndIdNotListed_ReturnsNull()
    {
        var sut = CreateSut(Instance("openai"), Instance("vllm", ProviderTypes.OpenAI, "other"));

        sut.Resolve("meta-llama/Llama-3").Should().BeNull();
    }

    [Theory]
    [InlineData("openai/")]
    [InlineData("/gpt-4o")]
    public void Resolve_EmptyInstanceOrModelAroundTheSlash_IsNotAnInstancePick(string model)
    {
        var sut = CreateSut(Instance("openai"));

        sut.Resolve(model).Should().BeNull();
    }

    [Fact]
    public void Resolve_ListedModel_WinsOverTheCatalog()
    {
        var sut = CreateSut(Instance("openai"), Instance("azure", ProviderTypes.OpenAI, "gpt-4o"));

        sut.Resolve("gpt-4o")!.Value.Provider.Name.Should().Be("azure");
        sut.Resolve("gpt-4o-mini")!.Value.Provider.Name.Should().Be("openai");
    }

    [Fact]
    public void Resolve_ListedModel_IsCaseInsensitive()
    {
        var sut = CreateSut(Instance("ollama", ProviderTypes.OpenAI, "Llama3"));

        sut.Resolve("llama3")!.Value.Provider.Name.Should().Be("ollama");
    }

    [Fact]
    public void Resolve_ModelListedByTwoInstances_GoesToTheFirst()
    {
        var sut = CreateSut(Instance("first", ProviderTypes.OpenAI, "shared"), Instance("second", ProviderTypes.OpenAI, "shared"));

        sut.Resolve("shared")!.Value.Provider.Name.Should().Be("first");
    }

    [Fact]
    public void Resolve_CatalogModel_GoesToTheInstanceNamedLikeItsType()
    {
        var sut = CreateSut(Instance("ollama"), Instance("OpenAI"), Instance("vllm"));

        var route = sut.Resolve("gpt-4o");

        route!.Value.Provider.Name.Should().Be("OpenAI");
        route.Value.UpstreamModel.Should().Be("gpt-4o");
    }

    [Fact]
    public void Resolve_CatalogModel_GoesToTheOnlyInstanceOfItsType()
    {
        var sut = CreateSut(Instance("work"), Instance("google", ProviderTypes.Gemini));

        sut.Resolve("gpt-4o")!.Value.Provider.Name.Should().Be("work");
        sut.Resolve("gemini-2.5-flash")!.Value.Provider.Name.Should().Be("google");
    }

    [Fact]
    public void Resolve_CatalogModelWithTwoInstancesOfItsTypeNeitherNamedLikeIt_ReturnsNull()
    {
        var sut = CreateSut(Instance("work"), Instance("ollama"));

        sut.Resolve("gpt-4o").Should().BeNull();
    }

    [Fact]
    public void Resolve_CatalogModelWhoseTypeHasNoInstance_ReturnsNull()
    {
        var sut = CreateSut(Instance("openai"));

        sut.Resolve("gemini-2.5-pro").Should().BeNull();
    }

    [Fact]
    public void Resolve_TypeNamesDifferingInCase_AreOneType()
    {
        var sut = CreateSut(Instance("openai", "openai"), Instance("local", "OPENAI"));

        sut.Resolve("gpt-4o")!.Value.Provider.Name.Should().Be("openai");
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("unknown/model")]
    [InlineData("")]
    public void Resolve_UnknownModel_ReturnsNull(string model)
    {
        var sut = CreateSut(Instance("openai"), Instance("gemini", ProviderTypes.Gemini));

        sut.Resolve(model).Should().BeNull();
    }

    [Fact]
    public void GetProvider_NameInAnotherCase_FindsTheInstance()
    {
        var sut = CreateSut(Instance("Ollama"));

        sut.GetProvider("OLLAMA")!.Name.Should().Be("Ollama");
        sut.GetProvider("missing").Should().BeNull();
    }

    [Fact]
    public void Unlisted_HasTheInstancesWithoutModels_InConfigurationOrder()
    {
        var sut = CreateSut(Instance("b"), Instance("listed", ProviderTypes.OpenAI, "m"), Instance("a"));

        sut.Unlisted.Select(p => p.Name).Should().Equal("b", "a");
        sut.Providers.Select(p => p.Name).Should().Equal("b", "listed", "a");
    }
}
