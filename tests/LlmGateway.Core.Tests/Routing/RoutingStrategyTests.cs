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
        new FallbackStrategy().Order(new RoutingContext("alias", s_targets)).Should().Equal(s_b, s_c, s_a);
    }

    [Fact]
    public void RoundRobin_StartsOneFurtherEachRequestPerAlias()
    {
        var sut = new RoundRobinStrategy();

        var first = sut.Order(new RoutingContext("x", s_targets));
        var second = sut.Order(new RoutingContext("x", s_targets));
        var other = sut.Order(new RoutingContext("y", s_targets));
        var third = sut.Order(new RoutingContext("x", s_targets));
        var fourth = sut.Order(new RoutingContext("x", s_targets));

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

        var order = sut.Order(new RoutingContext("alias", s_targets));

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
        var states = new TargetStates(inFlight, new LatencyTracker(), new TargetHealth(TimeProvider.System));
        var sut = new LeastBusyStrategy();

        sut.Order(Context(states, s_targets)).Should().Equal(s_c, s_b, s_a);

        inFlight.Exit(s_a.Name);
        inFlight.Exit(s_a.Name);
        sut.Order(Context(states, [s_a, s_b])).Should().Equal(s_a, s_b);
    }

    [Fact]
    public void LeastLatency_UnmeasuredFirstThenTheLowestMovingAverage()
    {
        var latency = new LatencyTracker();
        latency.Record(s_a.Name, TimeSpan.FromMilliseconds(100));
        latency.Record(s_b.Name, TimeSpan.FromMilliseconds(400));
        var states = new TargetStates(new InFlightCounter(), latency, new TargetHealth(TimeProvider.System));
        var sut = new LeastLatencyStrategy();

        sut.Order(Context(states, s_targets)).Should().Equal(s_c, s_a, s_b);

        // a slows down: its average moves 30 % of the way towards each new sample.
        for (var i = 0; i < 10; i++)
        {
            latency.Record(s_a.Name, TimeSpan.FromMilliseconds(1000));
        }

        latency.Average(s_a.Name).Should().BeGreaterThan(TimeSpan.FromMilliseconds(400));
        sut.Order(Context(states, [s_a, s_b])).Should().Equal(s_b, s_a);
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

        new CostStrategy().Order(new RoutingContext("alias", [unknown, expensive, cheap, house])).Should().Equal(house, cheap, expensive, unknown);
        expensive.Price.Should().Be(12.50m, "a dated snapshot takes its family's price");
    }

    [Fact]
    public void TargetState_ReportsInFlightLatenciesAndTheCircuitForTheRequestsCaller()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider();
        var inFlight = new InFlightCounter();
        var latency = new LatencyTracker();
        var health = new TargetHealth(clock);
        var states = new TargetStates(inFlight, latency, health);
        inFlight.Enter(s_a.Name);
        latency.Record(s_a.Name, TimeSpan.FromMilliseconds(200));
        latency.Record(s_b.Name, TimeSpan.FromMilliseconds(300), stream: true);
        var circuit = new CircuitOptions { FailureThreshold = 1, BreakDuration = TimeSpan.FromSeconds(10) };
        health.Failed(s_b, "key-1", retryAfter: null, circuit); // one caller's failures hold back only that caller

        var forKey1 = new RoutingContext("alias", s_targets, new RoutingRequest(GatewayOperation.ChatCompletions, Stream: true, 42, "key-1"), states);
        var forKey2 = new RoutingContext("alias", s_targets, new RoutingRequest(GatewayOperation.ChatCompletions, Stream: true, 42, "key-2"), states);

        forKey1.GetState(s_a).Should().BeEquivalentTo(new RouteTargetState { InFlight = 1, Latency = TimeSpan.FromMilliseconds(200), Circuit = TargetCircuitState.Closed });
        forKey1.GetState(s_b).TimeToFirstToken.Should().Be(TimeSpan.FromMilliseconds(300), "a stream's first event is its time to first token");
        forKey1.GetState(s_b).Circuit.Should().Be(TargetCircuitState.Open);
        forKey2.GetState(s_b).Circuit.Should().Be(TargetCircuitState.Closed, "only the caller whose requests failed is held back");
        forKey1.IsStreaming.Should().BeTrue();
        forKey1.EstimatedPromptTokens.Should().Be(42);
        forKey1.CallerId.Should().Be("key-1");

        clock.Advance(TimeSpan.FromSeconds(11));
        forKey1.GetState(s_b).Circuit.Should().Be(TargetCircuitState.HalfOpen, "the break is over; the next outcome decides");
    }

    [Fact]
    public void RoutingContext_ForATest_TakesTheStatesItIsGiven()
    {
        var context = new RoutingContext("alias", s_targets, t => new RouteTargetState { InFlight = t == s_c ? 0 : 5 });

        new LeastBusyStrategy().Order(context).Should().Equal(s_c, s_a, s_b);
        new RoutingContext("alias", s_targets).GetState(s_a).Should().Be(default(RouteTargetState));
    }

    private static RoutingContext Context(TargetStates states, IReadOnlyList<RouteTarget> targets) =>
        new("alias", targets, new RoutingRequest(GatewayOperation.ChatCompletions, Stream: false, null, "in-process"), states);

    private sealed class FixedRandom(int value) : IRandomSource
    {
        public int Next(int maxExclusive) => value;
    }
}
