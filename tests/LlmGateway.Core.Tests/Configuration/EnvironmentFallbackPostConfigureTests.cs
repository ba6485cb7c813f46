using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;
using Microsoft.Extensions.Options;

namespace LlmGateway.Core.Tests.Configuration;

public class EnvironmentFallbackPostConfigureTests
{
    private static readonly string[] s_bothTypes = [ProviderTypes.OpenAI, ProviderTypes.Gemini];

    private static EnvironmentFallbackPostConfigure CreateSut(string[] registeredTypes, params (string Name, string Value)[] environment) =>
        new(new FakeEnvironmentVariables(environment), registeredTypes.Select(static t => new FakeProviderFactory(t)).ToList());

    private static LlmGatewayOptions Configure(EnvironmentFallbackPostConfigure sut, params (string Name, ProviderOptions Options)[] providers)
    {
        var options = new LlmGatewayOptions();
        foreach (var (name, provider) in providers)
        {
            options.Providers[name] = provider;
        }

        sut.PostConfigure(Options.DefaultName, options);
        return options;
    }

    [Fact]
    public void PostConfigure_NoProvidersAndBothTypesRegistered_AddsBothDefaultInstances()
    {
        var sut = CreateSut(s_bothTypes);

        var options = Configure(sut);

        options.Providers.Keys.Should().BeEquivalentTo("openai", "gemini");
        options.Providers["openai"].Type.Should().Be(ProviderTypes.OpenAI);
        options.Providers["gemini"].Type.Should().Be(ProviderTypes.Gemini);
        options.Providers["openai"].ApiKey.Should().BeNull();
        options.Providers["gemini"].ApiKey.Should().BeNull();
    }

    [Theory]
    [InlineData(ProviderTypes.OpenAI, "openai")]
    [InlineData(ProviderTypes.Gemini, "gemini")]
    public void PostConfigure_NoProvidersAndOneTypeRegistered_AddsOnlyThatDefault(string type, string expectedName)
    {
        var sut = CreateSut([type]);

        var options = Configure(sut);

        options.Providers.Keys.Should().Equal(expectedName);
    }

    [Fact]
    public void PostConfigure_NoProvidersAndNoTypeRegistered_AddsNothing()
    {
        var sut = CreateSut([], ("OPENAI_API_KEY", "sk-env"), ("GEMINI_API_KEY", "g-env"));

        var options = Configure(sut);

        options.Providers.Should().BeEmpty();
    }

    [Fact]
    public void PostConfigure_NoProvidersAndKeysInEnvironment_FillsTheDefaultInstances()
    {
        var sut = CreateSut(s_bothTypes, ("OPENAI_API_KEY", "sk-env"), ("OPENAI_BASE_URL", "http://localhost:8080/v1"), ("GEMINI_API_KEY", "g-env"));

        var options = Configure(sut);

        options.Providers["openai"].ApiKey.Should().Be("sk-env");
        options.Providers["openai"].BaseUrl.Should().Be("http://localhost:8080/v1");
        options.Providers["gemini"].ApiKey.Should().Be("g-env");
        options.Providers["gemini"].BaseUrl.Should().BeNull();
    }

    [Fact]
    public void PostConfigure_OtherProvidersConfiguredAndNoEnvironment_AddsNoDefaults()
    {
        var sut = CreateSut(s_bothTypes);

        var options = Configure(sut, ("ollama", new ProviderOptions { Type = ProviderTypes.OpenAI }));

        options.Providers.Keys.Should().Equal("ollama");
    }

    [Fact]
    public void PostConfigure_OpenAIKeySetAndOtherProvidersConfigured_AddsTheOpenAIInstance()
    {
        var sut = CreateSut(s_bothTypes, ("OPENAI_API_KEY", "sk-env"));

        var options = Configure(sut, ("ollama", new ProviderOptions { Type = ProviderTypes.OpenAI }));

        options.Providers.Keys.Should().BeEquivalentTo("ollama", "openai");
        options.Providers["openai"].ApiKey.Should().Be("sk-env");
        options.Providers["openai"].Type.Should().Be(ProviderTypes.OpenAI);
    }

    [Fact]
    public void PostConfigure_OpenAIBaseUrlOnlySetAndOtherProvidersConfigured_AddsTheOpenAIInstance()
    {
        var sut = CreateSut(s_bothTypes, ("OPENAI_BASE_URL", "http://localhost:11434/v1"));

        var options = Configure(sut, ("gemini", new ProviderOptions()));

        options.Providers.Keys.Should().BeEquivalentTo("gemini", "openai");
        options.Providers["openai"].BaseUrl.Should().Be("http://localhost:11434/v1");
        options.Providers["openai"].ApiKey.Should().BeNull();
    }

    [Fact]
    public void PostConfigure_OpenAIKeySetButOpenAINotRegistered_DoesNotAddTheOpenAIInstance()
    {
        var sut = CreateSut([ProviderTypes.Gemini], ("OPENAI_API_KEY", "sk-env"));

        var options = Configure(sut, ("gemini", new ProviderOptions()));

        options.Providers.Keys.Should().Equal("gemini");
    }

    [Theory]
    [InlineData("openai")]
    [InlineData("OpenAI")]
    [InlineData("OPENAI")]
    public void PostConfigure_InstanceNamedOpenAIInAnyCase_GetsTheEnvironmentFallbacks(string name)
    {
        var sut = CreateSut(s_bothTypes, ("OPENAI_API_KEY", "sk-env"), ("OPENAI_BASE_URL", "http://proxy.local/v1"));

        var options = Configure(sut, (name, new ProviderOptions()));

        options.Providers.Should().ContainSingle();
        var provider = options.Providers[name];
        provider.Type.Should().Be(ProviderTypes.OpenAI);
        provider.ApiKey.Should().Be("sk-env");
        provider.BaseUrl.Should().Be("http://proxy.local/v1");
    }

    [Fact]
    public void PostConfigure_OpenAIEnvironment_NeverFillsAnotherOpenAIInstance()
    {
        var sut = CreateSut(s_bothTypes, ("OPENAI_API_KEY", "sk-env"), ("OPENAI_BASE_URL", "http://proxy.local/v1"));

        var options = Configure(
            sut,
            ("ollama", new ProviderOptions { Type = ProviderTypes.OpenAI }),
            ("vllm", new ProviderOptions { Type = "openai", BaseUrl = "http://vllm:8000/v1" }));

        options.Providers["ollama"].ApiKey.Should().BeNull();
        options.Providers["ollama"].BaseUrl.Should().BeNull();
        options.Providers["vllm"].ApiKey.Should().BeNull();
        options.Providers["vllm"].BaseUrl.Should().Be("http://vllm:8000/v1");
    }

    [Fact]
    public void PostConfigure_ExplicitSettings_WinOverTheEnvironment()
    {
        var sut = CreateSut(s_bothTypes, ("OPENAI_API_KEY", "sk-env"), ("OPENAI_BASE_URL", "http://env/v1"), ("GEMINI_API_KEY", "g-env"));

        var options = Configure(
            sut,
            ("openai", new ProviderOptions { ApiKey = "sk-config", BaseUrl = "https://config/v1" }),
            ("gemini", new ProviderOptions { ApiKey = "g-config" }));

        options.Providers["openai"].ApiKey.Should().Be("sk-config");
        options.Providers["openai"].BaseUrl.Should().Be("https://config/v1");
        options.Providers["gemini"].ApiKey.Should().Be("g-config");
    }

    [Fact]
    public void PostConfigure_BlankExplicitSettings_FallBackToTheEnvironment()
    {
        var sut = CreateSut(s_bothTypes, ("OPENAI_API_KEY", "sk-env"), ("OPENAI_BASE_URL", "http://env/v1"));

        var options = Configure(sut, ("openai", new ProviderOptions { ApiKey = "", BaseUrl = "  " }));

        options.Providers["openai"].ApiKey.Should().Be("sk-env");
        options.Providers["openai"].BaseUrl.Should().Be("http://env/v1");
    }

    [Fact]
    public void PostConfigure_GeminiAndGoogleKeysSet_GeminiKeyWins()
    {
        var sut = CreateSut(s_bothTypes, ("GOOGLE_API_KEY", "google-env"), ("GEMINI_API_KEY", "gemini-env"));

        var options = Configure(sut, ("gemini", new ProviderOptions()));

        options.Providers["gemini"].ApiKey.Should().Be("gemini-env");
    }

    [Fact]
    public void PostConfigure_OnlyGoogleKeySet_FillsTheGeminiInstance()
    {
        var sut = CreateSut(s_bothTypes, ("GOOGLE_API_KEY", "google-env"));

        var options = Configure(sut, ("Gemini", new ProviderOptions()));

        options.Providers["gemini"].ApiKey.Should().Be("google-env");
        options.Providers["gemini"].Type.Should().Be(ProviderTypes.Gemini);
    }

    [Fact]
    public void PostConfigure_GeminiKeySetAndOtherProvidersConfigured_AddsTheGeminiInstance()
    {
        var sut = CreateSut(s_bothTypes, ("GOOGLE_API_KEY", "google-env"));

        var options = Configure(sut, ("ollama", new ProviderOptions { Type = ProviderTypes.OpenAI }));

        options.Providers.Keys.Should().BeEquivalentTo("ollama", "gemini");
        options.Providers["gemini"].ApiKey.Should().Be("google-env");
    }

    [Fact]
    public void PostConfigure_GeminiKey_NeverFillsAnotherGeminiInstance()
    {
        var sut = CreateSut(s_bothTypes, ("GEMINI_API_KEY", "g-env"));

        var options = Configure(sut, ("gemini", new ProviderOptions()), ("vertex", new ProviderOptions { Type = ProviderTypes.Gemini }));

        options.Providers["vertex"].ApiKey.Should().BeNull();
    }

    [Fact]
    public void PostConfigure_InstanceNamedOpenAIWithAnotherType_DoesNotGetTheOpenAIKey()
    {
        var sut = CreateSut(s_bothTypes, ("OPENAI_API_KEY", "sk-env"));

        var options = Configure(sut, ("openai", new ProviderOptions { Type = ProviderTypes.Gemini }));

        options.Providers["openai"].Type.Should().Be(ProviderTypes.Gemini);
        options.Providers["openai"].ApiKey.Should().BeNull();
    }

    [Theory]
    [InlineData("openai", ProviderTypes.OpenAI)]
    [InlineData("OpenAI", ProviderTypes.OpenAI)]
    [InlineData("gemini", ProviderTypes.Gemini)]
    [InlineData("GEMINI", ProviderTypes.Gemini)]
    [InlineData("ollama", null)]
    [InlineData("openai2", null)]
    public void PostConfigure_InstanceWithoutType_InfersTheTypeFromItsName(string name, string? expectedType)
    {
        var sut = CreateSut(s_bothTypes);

        var options = Configure(sut, (name, new ProviderOptions { Type = "  " }));

        options.Providers[name].Type.Should().Be(expectedType);
    }

    [Fact]
    public void PostConfigure_ExplicitType_IsKept()
    {
        var sut = CreateSut(s_bothTypes);

        var options = Configure(sut, ("gemini", new ProviderOptions { Type = "Custom" }));

        options.Providers["gemini"].Type.Should().Be("Custom");
    }

    [Fact]
    public void PostConfigure_CaseSensitiveProviderDictionary_BecomesCaseInsensitive()
    {
        var sut = CreateSut(s_bothTypes, ("OPENAI_API_KEY", "sk-env"));
        var options = new LlmGatewayOptions
        {
            Providers = new Dictionary<string, ProviderOptions>(StringComparer.Ordinal) { ["OpenAI"] = new() },
        };

        sut.PostConfigure(Options.DefaultName, options);

        options.Providers.Should().ContainSingle("the instance named OpenAI is the openai instance; no second one is added");
        options.Providers["openai"].ApiKey.Should().Be("sk-env");
    }
}
