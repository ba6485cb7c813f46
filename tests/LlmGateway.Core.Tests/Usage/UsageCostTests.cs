using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Usage;

public class UsageCostTests
{
    private static readonly ModelCatalogOptions s_priced = new() { InputPrice = 2.50m, CachedInputPrice = 1.25m, OutputPrice = 10m };

    [Fact]
    public void Of_CachedInputPricedApart_ChargesEachPartAtItsPrice()
    {
        // 600 uncached × 2.50 + 400 cached × 1.25 + 500 output × 10 = 1500 + 500 + 5000 = 7000 per million.
        var cost = UsageCost.Of(new UsageCounts(1000, 500, 400, 200), s_priced);

        cost.Should().Be(0.007m);
    }

    [Fact]
    public void Of_NoCachedPrice_ChargesCachedInputAtTheInputPrice()
    {
        var facts = new ModelCatalogOptions { InputPrice = 2.50m, OutputPrice = 10m };

        var cost = UsageCost.Of(new UsageCounts(1000, 500, 400, 0), facts);

        cost.Should().Be(((1000 * 2.50m) + (500 * 10m)) / 1_000_000m);
    }

    [Fact]
    public void Of_OnlyOutputPriced_ChargesOnlyOutput()
    {
        var cost = UsageCost.Of(new UsageCounts(1000, 3, 400, 0), new ModelCatalogOptions { OutputPrice = 4m });

        cost.Should().Be(0.000012m);
    }

    [Fact]
    public void Of_OnlyCachedPriced_ChargesOnlyCachedInput()
    {
        var cost = UsageCost.Of(new UsageCounts(1000, 3, 400, 0), new ModelCatalogOptions { CachedInputPrice = 0.5m });

        cost.Should().Be(0.0002m);
    }

    [Fact]
    public void Of_NoFactsOrNoPrices_IsZero()
    {
        UsageCost.Of(new UsageCounts(1000, 500, 0, 0), null).Should().Be(0m);
        UsageCost.Of(new UsageCounts(1000, 500, 0, 0), new ModelCatalogOptions { ContextWindow = 128_000 }).Should().Be(0m);
    }

    [Fact]
    public void Of_MoreCachedThanPrompt_TakesThePromptAsAllCached()
    {
        var cost = UsageCost.Of(new UsageCounts(100, 0, 250, 0), s_priced);

        cost.Should().Be(100 * 1.25m / 1_000_000m);
    }

    [Fact]
    public void Of_SmallCall_IsExactInDecimal()
    {
        // One token at 0.075 $/M: a float would not give exactly 7.5e-8.
        var cost = UsageCost.Of(new UsageCounts(1, 0, 0, 0), new ModelCatalogOptions { InputPrice = 0.075m });

        cost.Should().Be(0.000000075m);
    }
}
