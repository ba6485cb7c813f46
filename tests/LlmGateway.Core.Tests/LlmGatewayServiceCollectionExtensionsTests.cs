using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace LlmGateway.Core.Tests;

/// <summary>Binding, environment fallbacks and validation of the options as a host sees them, through DI.</summary>
public class LlmGatewayServiceCollectionExtensionsTests
{
    private static ServiceProvider CreateServices(Dictionary<string, string?> settings, params (string Name, string Value)[] environment)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new FakeEnvironmentVariables(environment));
        services.AddLlmGateway(configuration.GetSection(LlmGatewayOptions.SectionName)).AddOpenAI();
        return services.BuildServiceProvider();
    }

    private static LlmGatewayOptions CurrentOptions(ServiceProvider services) =>
        services.GetRequiredService<IOptionsMonitor<LlmGatewayOptions>>().CurrentValue;

    private static string MessageChain(Exception exception)
    {
        var messages = new List<string>();
        for (Exception? e = exception; e is not null; e = e.InnerException)
        {
            messages.Add(e.Message);
        }

        return string.Join(" | ", messages);
    }

    [Fact]
    public void CurrentValue_ValidConfiguration_BindsEverySetting()
    {
        using var services = CreateServices(new()
        {
            ["LlmGateway:MaxRequestBodySize"] = "1024",
            ["LlmGateway:RequestTimeout"] = "00:01:00",
            ["LlmGateway:StreamIdleTimeout"] = "00:00:30",
            ["LlmGateway:ModelListCacheDuration"] = "00:00:00",
            ["LlmGateway:Providers:OpenAI:ApiKey"] = "sk-config",
            ["LlmGateway:Providers:OpenAI:Organization"] = "org",
            ["LlmGateway:Providers:OpenAI:Project"] = "proj",
            ["LlmGateway:Providers:ollama:Type"] = "OpenAI",
            ["LlmGateway:Providers:ollama:BaseUrl"] = "http://localhost:11434/v1",
            ["LlmGateway:Providers:ollama:Models:0"] = "llama3",
            ["LlmGateway:Providers:ollama:Models:1"] = "qwen3",
        });

        var options = CurrentOptions(services);

        options.MaxRequestBodySize.Should().Be(1024);
        options.RequestTimeout.Should().Be(TimeSpan.FromMinutes(1));
        options.StreamIdleTimeout.Should().Be(TimeSpan.FromSeconds(30));
        options.ModelListCacheDuration.Should().Be(TimeSpan.Zero);
        options.Providers.Keys.Should().BeEquivalentTo("OpenAI", "ollama");
        options.Providers["openai"].Should().BeOfType<OpenAIProviderOptions>().And.BeEquivalentTo(new OpenAIProviderOptions
        {
            Type = ProviderTypes.OpenAI,
            ApiKey = "sk-config",
            Organization = "org",
            Project = "proj",
        });
        options.Providers["OLLAMA"].Models.Should().Equal("llama3", "qwen3");
        options.Providers["ollama"].BaseUrl.Should().Be("http://localhost:11434/v1");
    }

    [Fact]
    public void CurrentValue_NoConfiguration_AddsOnlyTheRegisteredTypesDefaultFromTheEnvironment()
    {
        using var services = CreateServices(new(), ("OPENAI_API_KEY", "sk-env"), ("GEMINI_API_KEY", "g-env"));

        var options = CurrentOptions(services);

        options.Providers.Keys.Should().Equal("openai");
        options.Providers["openai"].ApiKey.Should().Be("sk-env");
    }

    [Fact]
    public void CurrentValue_EnvironmentKeyWithOtherInstancesConfigured_AddsOpenAIButNeverFillsTheOthers()
    {
        using var services = CreateServices(
            new() { ["LlmGateway:Providers:ollama:Type"] = "OpenAI", ["LlmGateway:Providers:ollama:BaseUrl"] = "http://localhost:11434/v1" },
            ("OPENAI_API_KEY", "sk-env"));

        var options = CurrentOptions(services);

        options.Providers["openai"].ApiKey.Should().Be("sk-env");
        options.Providers["ollama"].ApiKey.Should().BeNull();
    }

    [Theory]
    [InlineData("LlmGateway:Providers:openai:ApiKeyy", "ApiKeyy")]
    [InlineData("LlmGateway:RequestTimeot", "RequestTimeot")]
    public void CurrentValue_UnknownKey_Throws(string key, string unknownName)
    {
        using var services = CreateServices(new() { ["LlmGateway:Providers:openai:ApiKey"] = "sk", [key] = "x" });

        var act = () => CurrentOptions(services);

        var exception = act.Should().Throw<OptionsValidationException>().Which;
        exception.Failures.Should().ContainSingle().Which.Should().Contain(key).And.Contain(unknownName);
    }

    [Fact]
    public void CurrentValue_InvalidConfiguration_ThrowsListingEveryError()
    {
        using var services = CreateServices(new()
        {
            ["LlmGateway:MaxRequestBodySize"] = "0",
            ["LlmGateway:StreamIdleTimeout"] = "00:00:00",
            ["LlmGateway:Providers:foo:ApiKey"] = "k",
            ["LlmGateway:Providers:gemini:ApiKey"] = "k",
            ["LlmGateway:Providers:ollama:Type"] = "OpenAI",
            ["LlmGateway:Providers:ollama:BaseUrl"] = "localhost:11434",
            ["LlmGateway:Providers:ollama:Models:0"] = "",
        });

        var act = () => CurrentOptions(services);

        var failures = act.Should().Throw<OptionsValidationException>().Which.Failures.ToList();
        string[] keys =
        [
            "LlmGateway:MaxRequestBodySize",
            "LlmGateway:StreamIdleTimeout",
            "LlmGateway:Providers:foo:Type",
            "LlmGateway:Providers:gemini:Type",
            "LlmGateway:Providers:ollama:BaseUrl",
            "LlmGateway:Providers:ollama:Models:0",
        ];
        failures.Should().HaveCount(keys.Length);
        foreach (var key in keys)
        {
            failures.Should().ContainSingle(f => f.Contains(key, StringComparison.Ordinal), $"one failure must name {key}");
        }
    }

    [Theory]
    [InlineData("LlmGateway:Auth:Keys:0:TokensPerMinute", "abc", "whole number")]
    [InlineData("LlmGateway:Auth:Keys:0:TokensPerMinute", "10000000000", "2147483647")]
    [InlineData("LlmGateway:Auth:Keys:0:RequestsPerMinute", "1.5", "whole number")]
    [InlineData("LlmGateway:Auth:Keys:0:Budget:MonthlyCost", "ten", "decimal")]
    [InlineData("LlmGateway:Auth:Keys:0:ExpiresAt", "tomorrow", "date")]
    [InlineData("LlmGateway:Auth:Keys:0:Strategy", "Fastest", "SlidingWindow")]
    [InlineData("LlmGateway:Auth:Keys:0:ModelLimits:gpt-4o:TokensPerMinute", "-", "whole number")]
    [InlineData("LlmGateway:MaxAttempts", "three", "whole number")]
    [InlineData("LlmGateway:RequestTimeout", "soon", "duration")]
    [InlineData("LlmGateway:Cache:Enabled", "yes", "true or false")]
    public void CurrentValue_ValueThatCannotBeBound_ThrowsNamingItsPath(string key, string value, string hint)
    {
        // The binder drops a list entry whose value fails to convert: the key would vanish and its owner get 401.
        using var services = CreateServices(new()
        {
            ["LlmGateway:Providers:openai:ApiKey"] = "sk",
            ["LlmGateway:Auth:Keys:0:Key"] = "lgw-0123456789abcdef",
            ["LlmGateway:Auth:Keys:0:Name"] = "team-a",
            [key] = value,
        });

        var act = () => CurrentOptions(services);

        var failure = act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle().Which;
        failure.Should().StartWith(key + ": '" + value + "' is not ").And.Contain(hint);
    }

    [Fact]
    public void CurrentValue_SeveralBadValuesAndAnUnknownKey_NamesEachOne()
    {
        using var services = CreateServices(new()
        {
            ["LlmGateway:Providers:openai:ApiKey"] = "sk",
            ["LlmGateway:Auth:Keys:0:Key"] = "lgw-0123456789abcdef",
            ["LlmGateway:Auth:Keys:0:TokensPerMinute"] = "abc",
            ["LlmGateway:Auth:Keys:1:Key"] = "lgw-0123456789abcdeg",
            ["LlmGateway:Auth:Keys:1:RequestsPerMinute"] = "99999999999",
            ["LlmGateway:Auth:Keys:1:AllowedModel"] = "gpt-4o",
        });

        var act = () => CurrentOptions(services);

        var failures = act.Should().Throw<OptionsValidationException>().Which.Failures.ToList();
        failures.Should().HaveCount(3);
        failures.Should().ContainSingle(f => f.StartsWith("LlmGateway:Auth:Keys:0:TokensPerMinute", StringComparison.Ordinal));
        failures.Should().ContainSingle(f => f.StartsWith("LlmGateway:Auth:Keys:1:RequestsPerMinute", StringComparison.Ordinal));
        failures.Should().ContainSingle(f => f.StartsWith("LlmGateway:Auth:Keys:1:AllowedModel", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("LlmGateway:Auth:Keys:0:AllowedModels", "gpt-4o", "a list")]
    [InlineData("LlmGateway:Auth:Keys", "lgw-0123456789abcdef", "a list")]
    [InlineData("LlmGateway:Auth:Keys:0:Budget", "10", "a section")]
    [InlineData("LlmGateway:Models", "smart", "named entries")]
    public void CurrentValue_SingleValueWhereAListOrSectionIsExpected_Throws(string key, string value, string hint)
    {
        using var services = CreateServices(new()
        {
            ["LlmGateway:Providers:openai:ApiKey"] = "sk",
            ["LlmGateway:Auth:Keys:0:Key"] = "lgw-0123456789abcdef",
            [key] = value,
        });

        var act = () => CurrentOptions(services);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle(f => f.StartsWith(key + " is ", StringComparison.Ordinal) && f.Contains(hint, StringComparison.Ordinal));
    }

    [Fact]
    public void CurrentValue_EmptyValues_MeanNotSet()
    {
        using var services = CreateServices(new()
        {
            ["LlmGateway:Providers:openai:ApiKey"] = "sk",
            ["LlmGateway:Auth:Keys:0:Key"] = "lgw-0123456789abcdef",
            ["LlmGateway:Auth:Keys:0:TokensPerMinute"] = "",
            ["LlmGateway:RequestBudget"] = "",
            ["LlmGateway:FirstTokenTimeout"] = "",
        });

        var options = CurrentOptions(services);

        options.Auth.Keys.Should().ContainSingle().Which.TokensPerMinute.Should().BeNull();
        options.RequestBudget.Should().BeNull();
        options.FirstTokenTimeout.Should().BeNull("an empty value turns the 30 s default off");
    }

    [Fact]
    public void StartupValidation_InvalidConfiguration_Throws()
    {
        using var services = CreateServices(new() { ["LlmGateway:Providers:foo:ApiKey"] = "k" });

        var act = () => services.GetRequiredService<IStartupValidator>().Validate();

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle(f => f.Contains("LlmGateway:Providers:foo:Type", StringComparison.Ordinal));
    }

    [Fact]
    public void CurrentValue_ProviderSectionWithoutSettings_IsReportedAsAnError()
    {
        // "Providers": { "foo": null } in appsettings.json binds to an empty instance, which has no Type.
        using var services = CreateServices(new() { ["LlmGateway:Providers:foo"] = null, ["LlmGateway:Providers:openai:ApiKey"] = "k" });

        var act = () => CurrentOptions(services);

        act.Should().Throw<OptionsValidationException>().Which.Failures.Should().ContainSingle(f => f.Contains("LlmGateway:Providers:foo", StringComparison.Ordinal));
    }

    [Fact]
    public void AddLlmGateway_EnvironmentVariablesRegisteredFirst_KeepsThatRegistration()
    {
        var fake = new FakeEnvironmentVariables();
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(fake);

        services.AddLlmGateway();

        using var provider = services.BuildServiceProvider();
        provider.GetRequiredService<IEnvironmentVariables>().Should().BeSameAs(fake);
    }
}
