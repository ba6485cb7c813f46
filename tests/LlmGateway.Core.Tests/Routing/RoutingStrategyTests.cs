using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Routing;

public sealed class RoutingStrategyTests
{
    private static readonly RouteTarget s_a = new(new FakeProvider("a"), "m", Weight: 1, Priority: 2);
    private static readonly RouteTarget s_b = new(new FakeProvider("b"), "m", Weight: 3, Priority: 1);
    private static readonly RouteTarget s_c = new(new FakeProvider("c"), "m", Weight: 0, Priority: 1);
    private static readonly RouteTarget[] s_targets = [s_a, s_b, s_c];

    [Fact]
    public void Fallback_OrdersByPriorityThenConfigurationOrder()
    {
        new FallbackStrategy().Order("alias", s_targets).Should().Equal(s_b, s_c, s_a);
    }

    [Fact]
    public void RoundRobin_StartsOneFurtherEachRequestPerAlias()
    {
        var sut = new RoundRobinStrategy();

        var first = sut.Order("x", s_targets);
        var second = sut.Order("x", s_targets);
        var other = sut.Order("y", s_targets);
        var third = sut.Order("x", s_targets);
        var fourth = sut.Order("x", s_targets);

        first.Should().Equal(s_a, s_b, s_c);
        second.Should().Equal(s_b, s_c, s_a);
        other.Should().Equal([s_a, s_b, s_c], "each alias has its own turn");
        third.Should().Equal(s_c, s_a, s_b);
        fourth.Should().Equal(s_a, s_b, s_c);
    }

    [Theory]
    [InlineData(0, "a")] // draws 0 falls in a's share [0,1)
    [InlineData(1, "b")] // draws 1..3 fall in b's share [1,4)
    [InlineData(3, "b")]
    public void Weighted_DrawsTheFirstInProportionToTheWeightsAndSkipsZeroWeights(int draw, string first)
    {
        var sut = new WeightedStrategy(new FixedRandom(draw));

        var order = sut.Order("alias", s_targets);

        order[0].Provider.Name.Should().Be(first);
        order.Should().NotContain(s_c, "a weight of 0 takes no traffic");
        order.Should().HaveCount(2);
    }

    [Fact]
    public void LeastBusy_PrefersTheTargetWithFewestRequestsInFlight()
    {
        var inFlight = new InFlightCounter();
        inFlight.Enter(s_a.Name);
        inFlight.Enter(s_a.Name);
        inFlight.Enter(s_b.Name);
        var sut = new LeastBusyStrategy(inFlight);

        sut.Order("alias", s_targets).Should().Equal(s_c, s_b, s_a);

        inFlight.Exit(s_a.Name);
        inFlight.Exit(s_a.Name);
        sut.Order("alias", [s_a, s_b]).Should().Equal(s_a, s_b);
    }

    [Fact]
    public void LeastLatency_UnmeasuredFirstThenTheLowestMovingAverage()
    {
        var latency = new LatencyTracker();
        latency.Record(s_a.Name, TimeSpan.FromMilliseconds(100));
        latency.Record(s_b.Name, TimeSpan.FromMilliseconds(400));
        var sut = new LeastLatencyStrategy(latency);

        sut.Order("alias", s_targets).Should().Equal(s_c, s_a, s_b);

        // a slows down: its average moves 30 % of the way towards each new sample.
        for (var i = 0; i < 10; i++)
        {
            latency.Record(s_a.Name, TimeSpan.FromMilliseconds(1000));
        }

        latency.Average(s_a.Name).Should().BeGreaterThan(TimeSpan.FromMilliseconds(400));
        sut.Order("alias", [s_a, s_b]).Should().Equal(s_b, s_a);
    }

    [Fact]
    public void Cost_CheapestFirstUnpricedLast()
    {
        var facts = new ModelFacts(new Dictionary<string, ModelCatalogOptions> { ["house-model"] = new() { InputPrice = 0.01m, OutputPrice = 0.02m } });
        RouteTarget Target(string model) => new(new FakeProvider("p"), model) { Price = facts.Get(model) is { } f ? f.InputPrice + f.OutputPrice : null };
        var expensive = Target("gpt-4o-2024-08-06");
        var cheap = Target("gpt-4o-mini");
        var unknown = Target("mystery");
        var house = Target("house-model");

        new CostStrategy().Order("alias", [unknown, expensive, cheap, house]).Should().Equal(house, cheap, expensive, unknown);
        expensive.Price.Should().Be(12.50m, "a dated snapshot takes its family's price");
    }

    private sealed class FixedRandom(int value) : IRandomSource
    {
        public int Next(int maxExclusive) => value;
    }
}
