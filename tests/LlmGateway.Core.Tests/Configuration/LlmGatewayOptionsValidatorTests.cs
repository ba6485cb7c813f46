using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;
using Microsoft.Extensions.Options;

namespace LlmGateway.Core.Tests.Configuration;

public class LlmGatewayOptionsValidatorTests
{
    private static LlmGatewayOptionsValidator CreateSut(params ILlmProviderFactory[] extraFactories) =>
        new([new FakeProviderFactory(ProviderTypes.OpenAI) { ChecksBaseUrl = true }, new FakeProviderFactory(ProviderTypes.Gemini), .. extraFactories]);

    private static LlmGatewayOptions WithProviders(params (string Name, ProviderOptions? Options)[] providers)
    {
        var options = new LlmGatewayOptions();
        foreach (var (name, provider) in providers)
        {
            options.Providers[name] = provider!;
        }

        return options;
    }

    private static IEnumerable<string> Failures(ValidateOptionsResult result)
    {
        result.Failed.Should().BeTrue();
        return result.Failures!;
    }

    [Fact]
    public void Validate_DefaultOptions_Succeeds()
    {
        var sut = CreateSut();

        sut.Validate(null, new LlmGatewayOptions()).Succeeded.Should().BeTrue();
    }

    [Fact]
    public void Validate_ValidOptions_Succeeds()
    {
        var sut = CreateSut();
        var options = WithProviders(
            ("openai", new ProviderOptions { Type = ProviderTypes.OpenAI, ApiKey = "sk", Models = ["gpt-4o"] }),
            ("ollama", new ProviderOptions { Type = "openai", BaseUrl = "http://localhost:11434/v1" }),
            ("gemini", new ProviderOptions { Type = "GEMINI" }));
        options.RequestTimeout = TimeSpan.FromSeconds(1);
        options.StreamIdleTimeout = Timeout.InfiniteTimeSpan;
        options.ModelListCacheDuration = TimeSpan.Zero;
        options.MaxRequestBodySize = 1;

        var result = sut.Validate(null, options);

        result.Succeeded.Should().BeTrue(result.FailureMessage);
    }

    [Fact]
    public void Rejects_MissingType()
    {
        var sut = CreateSut();

        var failures = Failures(sut.Validate(null, WithProviders(("foo", new ProviderOptions { Type = " " }))));

        failures.Should().ContainSingle().Which.Should().Contain("LlmGateway:Providers:foo:Type").And.Contain("OpenAI, Gemini");
    }

    [Fact]
    public void Rejects_MissingTypeWithNoFactoryRegistered_SaysHowToRegisterOne()
    {
        var sut = new LlmGatewayOptionsValidator([]);

        var failures = Failures(sut.Validate(null, WithProviders(("foo", new ProviderOptions()))));

        failures.Should().ContainSingle().Which.Should().Contain("LlmGateway:Providers:foo:Type").And.Contain("AddOpenAI()");
    }

    [Fact]
    public void Rejects_UnregisteredType()
    {
        var sut = CreateSut();

        var failures = Failures(sut.Validate(null, WithProviders(("claude", new ProviderOptions { Type = "Anthropic" }))));

        failures.Should().ContainSingle().Which.Should()
            .Contain("LlmGateway:Providers:claude:Type").And.Contain("'Anthropic'").And.Contain(".AddAnthropic()");
    }

    [Theory]
    [InlineData("not a url")]
    [InlineData("localhost:11434/v1")]
    [InlineData("ftp://example.com/v1")]
    [InlineData("/v1")]
    [InlineData("")]
    public void Rejects_BadBaseUrl(string baseUrl)
    {
        var sut = CreateSut();

        var failures = Failures(sut.Validate(null, WithProviders(("ollama", new ProviderOptions { Type = ProviderTypes.OpenAI, BaseUrl = baseUrl }))));

        failures.Should().ContainSingle().Which.Should().Contain("LlmGateway:Providers:ollama:BaseUrl").And.Contain($"'{baseUrl}'");
    }

    [Theory]
    [InlineData("http://localhost:11434/v1")]
    [InlineData("https://api.example.com/")]
    [InlineData(null)]
    public void ValidateBaseUrl_AbsoluteHttpUrlOrNull_IsValid(string? baseUrl)
    {
        LlmGatewayOptionsValidator.ValidateBaseUrl("x", baseUrl).Should().BeNull();
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("/")]
    [InlineData(" ")]
    public void Rejects_NameThatIsBlankOrHasASlash(string name)
    {
        var sut = CreateSut();

        var failures = Failures(sut.Validate(null, WithProviders((name, new ProviderOptions { Type = ProviderTypes.OpenAI }))));

        failures.Should().ContainSingle().Which.Should().Contain($"LlmGateway:Providers:{name}").And.Contain("'/'");
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Rejects_EmptyModelsEntry(string model)
    {
        var sut = CreateSut();

        var failures = Failures(sut.Validate(null, WithProviders(("openai", new ProviderOptions { Type = ProviderTypes.OpenAI, Models = ["gpt-4o", model] }))));

        failures.Should().ContainSingle().Which.Should().Contain("LlmGateway:Providers:openai:Models:1");
    }

    [Fact]
    public void Rejects_NullProvider()
    {
        var sut = CreateSut();

        var failures = Failures(sut.Validate(null, WithProviders(("foo", null))));

        failures.Should().ContainSingle().Which.Should().Contain("LlmGateway:Providers:foo");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Rejects_NonPositiveMaxRequestBodySize(long size)
    {
        var sut = CreateSut();

        var failures = Failures(sut.Validate(null, new LlmGatewayOptions { MaxRequestBodySize = size }));

        failures.Should().ContainSingle().Which.Should().Contain("LlmGateway:MaxRequestBodySize");
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:05")]
    public void Rejects_NonPositiveRequestTimeout(string timeout)
    {
        var sut = CreateSut();

        var failures = Failures(sut.Validate(null, new LlmGatewayOptions { RequestTimeout = TimeSpan.Parse(timeout, null) }));

        failures.Should().ContainSingle().Which.Should().Contain("LlmGateway:RequestTimeout");
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:05")]
    public void Rejects_NonPositiveStreamIdleTimeout(string timeout)
    {
        var sut = CreateSut();

        var failures = Failures(sut.Validate(null, new LlmGatewayOptions { StreamIdleTimeout = TimeSpan.Parse(timeout, null) }));

        failures.Should().ContainSingle().Which.Should().Contain("LlmGateway:StreamIdleTimeout");
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:05")]
    [InlineData("-00:00:00.001")]
    [InlineData("60.00:00:00")]
    public void Rejects_ShutdownDrainTimeoutThatIsNotAPositiveTimerSpan(string timeout)
    {
        var sut = CreateSut();

        var failures = Failures(sut.Validate(null, new LlmGatewayOptions { ShutdownDrainTimeout = TimeSpan.Parse(timeout, null) }));

        failures.Should().ContainSingle().Which.Should().Contain("LlmGateway:ShutdownDrainTimeout");
    }

    [Fact]
    public void ShutdownDrainTimeout_Default_IsThirtySecondsAndValid()
    {
        var sut = CreateSut();
        var options = new LlmGatewayOptions();

        options.ShutdownDrainTimeout.Should().Be(TimeSpan.FromSeconds(30));
        sut.Validate(null, options).Succeeded.Should().BeTrue();
    }

    [Theory]
    [InlineData(nameof(LlmGatewayOptions.RequestTimeout))]
    [InlineData(nameof(LlmGatewayOptions.StreamIdleTimeout))]
    public void Rejects_TimeoutLongerThanATimerCanWait(string key)
    {
        // A CancellationTokenSource cannot wait longer than uint.MaxValue - 1 ms (about 49.7 days); a longer timeout
        // (say "365.00:00:00" for "never") passes validation today and then throws ArgumentOutOfRangeException on
        // every request.
        var sut = CreateSut();
        var options = new LlmGatewayOptions();
        var tooLong = TimeSpan.FromDays(60);
        if (key == nameof(LlmGatewayOptions.RequestTimeout))
        {
            options.RequestTimeout = tooLong;
        }
        else
        {
            options.StreamIdleTimeout = tooLong;
        }

        var result = sut.Validate(null, options);

        Failures(result).Should().ContainSingle().Which.Should().Contain($"LlmGateway:{key}");
    }

    [Fact]
    public void Rejects_NegativeModelListCacheDuration()
    {
        var sut = CreateSut();

        var failures = Failures(sut.Validate(null, new LlmGatewayOptions { ModelListCacheDuration = TimeSpan.FromSeconds(-1) }));

        failures.Should().ContainSingle().Which.Should().Contain("LlmGateway:ModelListCacheDuration");
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:01")]
    public void Rejects_HedgingDelayThatIsNotPositive(string delay)
    {
        var sut = CreateSut();

        var failures = Failures(sut.Validate(null, new LlmGatewayOptions { Hedging = new HedgingOptions { Delay = TimeSpan.Parse(delay, System.Globalization.CultureInfo.InvariantCulture) } }));

        failures.Should().ContainSingle().Which.Should().Contain("LlmGateway:Hedging:Delay");
    }

    [Fact]
    public void Validate_HedgingSettings_Succeeds()
    {
        var sut = CreateSut();

        var result = sut.Validate(null, new LlmGatewayOptions { Hedging = new HedgingOptions { Enabled = false, Delay = TimeSpan.FromSeconds(2) } });

        result.Succeeded.Should().BeTrue(result.FailureMessage);
    }

    [Fact]
    public void Validate_InfiniteTimeouts_Succeeds()
    {
        var sut = CreateSut();

        var result = sut.Validate(null, new LlmGatewayOptions { RequestTimeout = Timeout.InfiniteTimeSpan, StreamIdleTimeout = Timeout.InfiniteTimeSpan });

        result.Succeeded.Should().BeTrue(result.FailureMessage);
    }

    [Fact]
    public void Validate_FactoryProblems_AreReported()
    {
        var sut = new LlmGatewayOptionsValidator([new FakeProviderFactory("Custom") { ValidationErrors = ["LlmGateway:Providers:c:Region is required."] }]);

        var failures = Failures(sut.Validate(null, WithProviders(("c", new ProviderOptions { Type = "custom" }))));

        failures.Should().Equal("LlmGateway:Providers:c:Region is required.");
    }

    [Fact]
    public void Rejects_SeveralProblems_ReportsEveryOne()
    {
        var sut = CreateSut();
        var options = WithProviders(
            ("fine", new ProviderOptions { Type = ProviderTypes.OpenAI }),
            ("untyped", new ProviderOptions()),
            ("claude", new ProviderOptions { Type = "Anthropic" }),
            ("a/b", new ProviderOptions { Type = ProviderTypes.Gemini }),
            ("ollama", new ProviderOptions { Type = ProviderTypes.OpenAI, BaseUrl = "localhost", Models = ["", "llama3", " "] }));
        options.MaxRequestBodySize = 0;
        options.RequestTimeout = TimeSpan.Zero;
        options.StreamIdleTimeout = TimeSpan.FromSeconds(-1);
        options.ModelListCacheDuration = TimeSpan.FromSeconds(-1);

        var failures = Failures(sut.Validate(null, options)).ToList();

        string[] keys =
        [
            "LlmGateway:MaxRequestBodySize",
            "LlmGateway:RequestTimeout",
            "LlmGateway:StreamIdleTimeout",
            "LlmGateway:ModelListCacheDuration",
            "LlmGateway:Providers:untyped:Type",
            "LlmGateway:Providers:claude:Type",
            "LlmGateway:Providers:a/b",
            "LlmGateway:Providers:ollama:BaseUrl",
            "LlmGateway:Providers:ollama:Models:0",
            "LlmGateway:Providers:ollama:Models:2",
        ];
        failures.Should().HaveCount(keys.Length);
        foreach (var key in keys)
        {
            failures.Should().ContainSingle(f => f.Contains(key, StringComparison.Ordinal), $"one failure must name {key}");
        }

        failures.Should().NotContain(f => f.Contains("Providers:fine", StringComparison.Ordinal));
    }
}
