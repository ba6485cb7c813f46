using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace LlmGateway.Internal;

/// <summary><see cref="RoutingStrategies.Fallback"/>: priority order, configuration order among equals.</summary>
internal sealed class FallbackStrategy : IRoutingStrategy
{
    public string Name => RoutingStrategies.Fallback;

    public IReadOnlyList<RouteTarget> Order(string aliasName, IReadOnlyList<RouteTarget> targets) =>
        targets.Select(static (t, i) => (t, i)).OrderBy(static x => x.t.Priority).ThenBy(static x => x.i).Select(static x => x.t).ToList();
}

/// <summary><see cref="RoutingStrategies.RoundRobin"/>: each request starts one further along, per alias.</summary>
internal sealed class RoundRobinStrategy : IRoutingStrategy
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _counters = new(StringComparer.OrdinalIgnoreCase);

    public string Name => RoutingStrategies.RoundRobin;

    public IReadOnlyList<RouteTarget> Order(string aliasName, IReadOnlyList<RouteTarget> targets)
    {
        var counter = _counters.GetOrAdd(aliasName, static _ => new StrongBox<int>(-1));
        var start = (Interlocked.Increment(ref counter.Value) & int.MaxValue) % targets.Count;
        var ordered = new RouteTarget[targets.Count];
        for (var i = 0; i < targets.Count; i++)
        {
            ordered[i] = targets[(start + i) % targets.Count];
        }

        return ordered;
    }
}

/// <summary><see cref="RoutingStrategies.Weighted"/>: the first target drawn in proportion to the weights, the rest by
/// weight, heaviest first.</summary>
internal sealed class WeightedStrategy(IRandomSource random) : IRoutingStrategy
{
    public string Name => RoutingStrategies.Weighted;

    public IReadOnlyList<RouteTarget> Order(string aliasName, IReadOnlyList<RouteTarget> targets)
    {
        var total = targets.Sum(static t => Math.Max(0, t.Weight));
        if (total == 0)
        {
            return targets;
        }

        var pick = random.Next(total);
        RouteTarget? first = null;
        foreach (var target in targets)
        {
            pick -= Math.Max(0, target.Weight);
            if (pick < 0)
            {
                first = target;
                break;
            }
        }

        return targets.Where(t => !ReferenceEquals(t, first) && t.Weight > 0).OrderByDescending(static t => t.Weight).Prepend(first!).ToList();
    }
}

/// <summary><see cref="RoutingStrategies.LeastBusy"/>: fewest requests in flight first.</summary>
internal sealed class LeastBusyStrategy(InFlightCounter inFlight) : IRoutingStrategy
{
    public string Name => RoutingStrategies.LeastBusy;

    public IReadOnlyList<RouteTarget> Order(string aliasName, IReadOnlyList<RouteTarget> targets) =>
        targets.Select(static (t, i) => (t, i)).OrderBy(x => inFlight.Get(x.t.Name)).ThenBy(static x => x.i).Select(static x => x.t).ToList();
}

/// <summary><see cref="RoutingStrategies.LeastLatency"/>: the lowest moving average of time to answer (to the first
/// event for streams) first; targets not measured yet come first, so each gets measured.</summary>
internal sealed class LeastLatencyStrategy(LatencyTracker latency) : IRoutingStrategy
{
    public string Name => RoutingStrategies.LeastLatency;

    public IReadOnlyList<RouteTarget> Order(string aliasName, IReadOnlyList<RouteTarget> targets) =>
        targets.Select(static (t, i) => (t, i)).OrderBy(x => latency.Average(x.t.Name) ?? TimeSpan.Zero).ThenBy(static x => x.i).Select(static x => x.t).ToList();
}

/// <summary>An exponentially weighted moving average (α = 0.3) of the latency of each target; lock-free.</summary>
internal sealed class LatencyTracker
{
    private const double Alpha = 0.3;
    private readonly ConcurrentDictionary<string, StrongBox<long>> _averageTicks = new(StringComparer.OrdinalIgnoreCase);

    public TimeSpan? Average(string target) =>
        _averageTicks.TryGetValue(target, out var box) && Volatile.Read(ref box.Value) is var ticks && ticks > 0 ? TimeSpan.FromTicks(ticks) : null;

    public void Record(string target, TimeSpan elapsed)
    {
        var box = _averageTicks.GetOrAdd(target, static _ => new StrongBox<long>());
        long current, next;
        do
        {
            current = Volatile.Read(ref box.Value);
            next = current == 0 ? Math.Max(1, elapsed.Ticks) : (long)(current + (Alpha * (elapsed.Ticks - current)));
        }
        while (Interlocked.CompareExchange(ref box.Value, next, current) != current);
    }
}

/// <summary><see cref="RoutingStrategies.Cost"/>: cheapest first, by the catalog's input plus output price.</summary>
internal sealed class CostStrategy : IRoutingStrategy
{
    public string Name => RoutingStrategies.Cost;

    public IReadOnlyList<RouteTarget> Order(string aliasName, IReadOnlyList<RouteTarget> targets) =>
        targets.Select(static (t, i) => (t, i)).OrderBy(static x => x.t.Price ?? decimal.MaxValue).ThenBy(static x => x.i).Select(static x => x.t).ToList();
}

/// <summary>Randomness for strategies, replaceable in tests.</summary>
internal interface IRandomSource
{
    int Next(int maxExclusive);
}

internal sealed class SharedRandomSource : IRandomSource
{
    public int Next(int maxExclusive) => Random.Shared.Next(maxExclusive);
}

/// <summary>Requests in flight per target.</summary>
internal sealed class InFlightCounter
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _counts = new(StringComparer.OrdinalIgnoreCase);

    public int Get(string target) => _counts.TryGetValue(target, out var count) ? Volatile.Read(ref count.Value) : 0;

    public void Enter(string target) => Interlocked.Increment(ref _counts.GetOrAdd(target, static _ => new StrongBox<int>()).Value);

    public void Exit(string target) => Interlocked.Decrement(ref _counts.GetOrAdd(target, static _ => new StrongBox<int>()).Value);
}
