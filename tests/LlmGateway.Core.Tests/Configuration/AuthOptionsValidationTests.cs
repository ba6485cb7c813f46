using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;
using Microsoft.Extensions.Options;

namespace LlmGateway.Core.Tests.Configuration;

public sealed class AuthOptionsValidationTests
{
    private static IEnumerable<string> Failures(Action<LlmGatewayOptions> configure)
    {
        var options = new LlmGatewayOptions();
        configure(options);
        var result = new LlmGatewayOptionsValidator([new FakeProviderFactory(ProviderTypes.OpenAI)]).Validate(Options.DefaultName, options);
        return result.Failed ? result.Failures : [];
    }

    [Fact]
    public void AValidKeySetPasses() => Failures(o =>
    {
        o.Auth.Keys.Add(new GatewayKeyOptions { Key = "lgw-0123456789abcdef", Name = "a", RequestsPerMinute = 10, AllowedModels = ["gpt-4o*"] });
        o.Auth.Keys.Add(new GatewayKeyOptions { KeyHash = new string('A', 64), Name = "b", Budget = new BudgetOptions { MonthlyCost = 5m } });
        o.Auth.AdminKeyHash = new string('f', 64);
    }).Should().BeEmpty();

    [Fact]
    public void EveryProblemIsReportedWithItsKey()
    {
        var failures = Failures(o =>
        {
            o.Auth.Keys.Add(new GatewayKeyOptions { Name = "none" });
            o.Auth.Keys.Add(new GatewayKeyOptions { Key = "lgw-0123456789abcdef", KeyHash = new string('a', 64), Name = "both" });
            o.Auth.Keys.Add(new GatewayKeyOptions { KeyHash = "xyz", Name = "badhash" });
            o.Auth.Keys.Add(new GatewayKeyOptions { Key = "short", Name = "short" });
            o.Auth.Keys.Add(new GatewayKeyOptions { Key = "lgw-0123456789abcdef0", Name = "short", RequestsPerMinute = 0, TokensPerMinute = -1 });
            o.Auth.Keys.Add(new GatewayKeyOptions { Key = "lgw-0123456789abcdef1", Name = "budget", Budget = new BudgetOptions { DailyTokens = 0 } });
            o.Auth.Client.ModelLimits["gpt-4o"] = new ModelLimitOptions { RequestsPerMinute = 0 };
            o.Auth.AdminKeyHash = "nothex";
            o.RateLimits.DefaultOutputTokens = -5;
        }).ToList();

        failures.Should().Contain(f => f.StartsWith("LlmGateway:Auth:Keys:0: give exactly one of Key", StringComparison.Ordinal));
        failures.Should().Contain(f => f.StartsWith("LlmGateway:Auth:Keys:1: give exactly one of Key", StringComparison.Ordinal));
        failures.Should().Contain("LlmGateway:Auth:Keys:2:KeyHash must be a SHA-256 hash: 64 hex digits.");
        failures.Should().Contain("LlmGateway:Auth:Keys:3:Key must be at least 16 characters.");
        failures.Should().Contain(f => f.StartsWith("LlmGateway:Auth:Keys:4:Name 'short' is used by another key", StringComparison.Ordinal));
        failures.Should().Contain("LlmGateway:Auth:Keys:4:RequestsPerMinute must be positive.");
        failures.Should().Contain("LlmGateway:Auth:Keys:4:TokensPerMinute must be positive.");
        failures.Should().Contain("LlmGateway:Auth:Keys:5:Budget: every budget must be positive.");
        failures.Should().Contain("LlmGateway:Auth:Client:ModelLimits:gpt-4o:RequestsPerMinute must be positive.");
        failures.Should().Contain("LlmGateway:Auth:AdminKeyHash must be a SHA-256 hash: 64 hex digits.");
        failures.Should().Contain("LlmGateway:RateLimits:DefaultOutputTokens must not be negative.");
    }

    [Theory]
    [InlineData("gateway.internal")]
    [InlineData("*.dev.example.com")]
    [InlineData("192.168.1.20")]
    [InlineData("[fd00::1]")]
    [InlineData("fd00::1")]
    [InlineData("*")]
    public void AllowedHosts_AHostNameWildcardOrAddress_Passes(string host) =>
        Failures(o => o.Auth.AllowedHosts.Add(host)).Should().BeEmpty();

    [Theory]
    [InlineData("")]
    [InlineData("http://gateway.internal")]
    [InlineData("gateway.internal:5080")]
    [InlineData("gateway.internal/v1")]
    [InlineData("*gateway.internal")]
    [InlineData("*.192.168.1.20")]
    [InlineData("[gateway.internal]")]
    public void Rejects_AnAllowedHostThatIsNotAHost(string host) =>
        Failures(o =>
        {
            o.Auth.AllowedHosts.Add("localhost");
            o.Auth.AllowedHosts.Add(host);
        }).Should().ContainSingle().Which.Should().StartWith("LlmGateway:Auth:AllowedHosts:1 must be a host name");
}
