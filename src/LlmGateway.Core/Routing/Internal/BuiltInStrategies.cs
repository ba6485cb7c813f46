using System.Collections.Concurrent;
using System.Runtime.CompilerServices;

namespace LlmGateway.Internal;

/// <summary><see cref="RoutingStrategies.Fallback"/>: priority order, configuration order among equals.</summary>
internal sealed class FallbackStrategy : IRoutingStrategy
{
    public string Name => RoutingStrategies.Fallback;

    public IReadOnlyList<RouteTarget> Order(RoutingContext context) =>
        context.Targets.Select(static (t, i) => (t, i)).OrderBy(static x => x.t.Priority).ThenBy(static x => x.i).Select(static x => x.t).ToList();
}

/// <summary><see cref="RoutingStrategies.RoundRobin"/>: each request starts one further along, per alias.</summary>
internal sealed class RoundRobinStrategy : IRoutingStrategy
{
    private readonly ConcurrentDictionary<string, StrongBox<int>> _counters = new(StringComparer.OrdinalIgnoreCase);

    public string Name => RoutingStrategies.RoundRobin;

    public IReadOnlyList<RouteTarget> Order(RoutingContext context)
    {
        var targets = context.Targets;
        var counter = _counters.GetOrAdd(context.AliasName, static _ => new StrongBox<int>(-1));
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

    public IReadOnlyList<RouteTarget> Order(RoutingContext context)
    {
        var targets = context.Targets;
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
internal sealed class LeastBusyStrategy : IRoutingStrategy
{
    public string Name => RoutingStrategies.LeastBusy;

    public IReadOnlyList<RouteTarget> Order(RoutingContext context) =>
        context.Targets.Select(static (t, i) => (t, i)).OrderBy(x => context.GetState(x.t).InFlight).ThenBy(static x => x.i).Select(static x => x.t).ToList();
}

/// <summary><see cref="RoutingStrategies.LeastLatency"/>: the lowest moving average of time to answer (to the first
/// event for streams) first; targets not measured yet come first, so each gets measured.</summary>
internal sealed class LeastLatencyStrategy : IRoutingStrategy
{
    public string Name => RoutingStrategies.LeastLatency;

    public IReadOnlyList<RouteTarget> Order(RoutingContext context) =>
        context.Targets.Select(static (t, i) => (t, i)).OrderBy(x => context.GetState(x.t).Latency ?? TimeSpan.Zero).ThenBy(static x => x.i).Select(static x => x.t).ToList();
}

/// <summary>Exponentially weighted moving averages (α = 0.3) of the latency of each target (to the answer, or to the
/// first event of a stream) and of its time to first event over streams alone; lock-free.</summary>
internal sealed class LatencyTracker
{
    private const double Alpha = 0.3;
    private readonly ConcurrentDictionary<string, StrongBox<long>> _averageTicks = new(StringComparer.OrdinalIgnoreCase);
    private readonly ConcurrentDictionary<string, StrongBox<long>> _firstTokenTicks = new(StringComparer.OrdinalIgnoreCase);

    public TimeSpan? Average(string target) => Read(_averageTicks, target);

    /// <summary>The average time to the first event of the target's streams.</summary>
    public TimeSpan? FirstToken(string target) => Read(_firstTokenTicks, target);

    /// <summary>Records a successful call's time to its answer, or for a stream to its first event.</summary>
    public void Record(string target, TimeSpan elapsed, bool stream = false)
    {
        Add(_averageTicks, target, elapsed);
        if (stream)
        {
            Add(_firstTokenTicks, target, elapsed);
        }
    }

    private static TimeSpan? Read(ConcurrentDictionary<string, StrongBox<long>> averages, string target) =>
        averages.TryGetValue(target, out var box) && Volatile.Read(ref box.Value) is var ticks && ticks > 0 ? TimeSpan.FromTicks(ticks) : null;

    private static void Add(ConcurrentDictionary<string, StrongBox<long>> averages, string target, TimeSpan elapsed)
    {
        var box = averages.GetOrAdd(target, static _ => new StrongBox<long>());
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

    public IReadOnlyList<RouteTarget> Order(RoutingContext context) =>
        context.Targets.Select(static (t, i) => (t, i)).OrderBy(static x => x.t.Price ?? decimal.MaxValue).ThenBy(static x => x.i).Select(static x => x.t).ToList();
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
