namespace LlmGateway.Core.Tests.Auth;

public sealed class GatewayCallerTests
{
    private static KeyPolicyOptions Policy() => new()
    {
        AllowedModels = ["gpt-4o*"],
        RequestsPerMinute = 5,
        TokensPerMinute = 1000,
        ModelLimits = new(StringComparer.OrdinalIgnoreCase) { ["gpt-4o"] = new ModelLimitOptions { RequestsPerMinute = 2 } },
        Strategy = RateLimitStrategy.TokenBucket,
        Budget = new BudgetOptions { MonthlyCost = 10m },
    };

    [Fact]
    public void Caller_CopiesItsPolicy_SoChangingTheOptionsLaterChangesNothing()
    {
        var options = Policy();
        var caller = new GatewayCaller("tenant:acme", options);

        options.AllowedModels.Add("gemini*");
        options.RequestsPerMinute = 500;
        options.ModelLimits["gpt-4o"].RequestsPerMinute = 200;
        options.Budget.MonthlyCost = 1000m;

        caller.Id.Should().Be("tenant:acme");
        caller.MayUse("gemini-2.5-flash").Should().BeFalse();
        caller.MayUse("GPT-4o-mini").Should().BeTrue();
        caller.GetPolicy().Should().BeEquivalentTo(Policy());
    }

    [Fact]
    public void GetPolicy_ReturnsACopy_SoChangingItChangesNothing()
    {
        var caller = new GatewayCaller("tenant:acme", Policy());

        var copy = caller.GetPolicy();
        copy.AllowedModels.Clear();
        copy.ModelLimits["gpt-4o"].RequestsPerMinute = 200;
        copy.Budget.MonthlyCost = null;

        caller.GetPolicy().Should().BeEquivalentTo(Policy());
        caller.MayUse("gemini-2.5-flash").Should().BeFalse();
    }

    [Fact]
    public void Caller_WithoutAPolicy_MayUseEveryModelAndIsNotChecked()
    {
        var caller = new GatewayCaller("tenant:acme");

        caller.MayUse("anything").Should().BeTrue();
        caller.HasPolicy.Should().BeFalse();
        new GatewayCaller("tenant:acme", Policy()).HasPolicy.Should().BeTrue();
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Caller_NeedsAnId(string id)
    {
        var make = () => new GatewayCaller(id);

        make.Should().Throw<ArgumentException>();
    }

    [Fact]
    public void Anonymous_IsTheCallerOfModeNone()
    {
        GatewayCaller.Anonymous.Id.Should().Be("anonymous");
        GatewayCaller.Anonymous.MayUse("any-model").Should().BeTrue();
    }
}
