using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Policy;

public sealed class CallerPolicyTests
{
    private static GatewayCaller Caller(List<string>? allowed = null, Dictionary<string, ModelLimitOptions>? limits = null) => new(new StoredKey
    {
        Id = "k",
        Hash = "h",
        AllowedModels = allowed ?? [],
        ModelLimits = limits ?? new(StringComparer.OrdinalIgnoreCase),
    });

    [Theory]
    [InlineData("gpt-4o", true)]
    [InlineData("GPT-4O-mini", true)]
    [InlineData("openai/gpt-4o", false)]
    [InlineData("gemini-2.5-flash", true)]
    [InlineData("gemini-2.5-pro", false)]
    [InlineData("gpt-4", false)]
    public void AllowedModelsMatchExactlyOrByATrailingStarPrefixIgnoringCase(string model, bool allowed) =>
        Caller(["gpt-4o*", "gemini-2.5-flash"]).MayUse(model).Should().Be(allowed);

    [Fact]
    public void NoAllowedModelsMeansEveryModel() => Caller().MayUse("anything").Should().BeTrue();

    [Fact]
    public void AModelLimitIsFoundByExactNameFirstThenTheLongestPrefix()
    {
        var caller = Caller(limits: new(StringComparer.OrdinalIgnoreCase)
        {
            ["gpt-*"] = new() { RequestsPerMinute = 1 },
            ["gpt-4o*"] = new() { RequestsPerMinute = 2 },
            ["gpt-4o-mini"] = new() { RequestsPerMinute = 3 },
        });

        caller.ModelLimit("gpt-4o-mini")!.Value.Limits.RequestsPerMinute.Should().Be(3);
        caller.ModelLimit("gpt-4o-2024-08-06")!.Value.Pattern.Should().Be("gpt-4o*");
        caller.ModelLimit("gpt-5")!.Value.Pattern.Should().Be("gpt-*");
        caller.ModelLimit("o3").Should().BeNull();
    }

    [Fact]
    public void APolicyWithNothingToRefuseIsSkipped()
    {
        Caller().HasPolicy.Should().BeFalse();
        Caller(["x"]).HasPolicy.Should().BeTrue();
        new GatewayCaller(new StoredKey { Id = "k", Hash = "h", Budget = new BudgetOptions { MonthlyCost = 1m } }).HasPolicy.Should().BeTrue();
    }

    [Theory]
    [InlineData(0, "0ms")]
    [InlineData(17.2, "18ms")]
    [InlineData(1000, "1s")]
    [InlineData(1500, "1.5s")]
    [InlineData(59_999, "59.999s")]
    [InlineData(60_000, "1m0s")]
    [InlineData(360_000, "6m0s")]
    [InlineData(61_250, "1m1.25s")]
    public void ResetDurationsAreWrittenTheWayOpenAIWritesThem(double milliseconds, string expected) =>
        CallerPolicy.FormatDuration(TimeSpan.FromMilliseconds(milliseconds)).Should().Be(expected);
}
