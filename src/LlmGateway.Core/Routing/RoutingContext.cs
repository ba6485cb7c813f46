using LlmGateway.Internal;

namespace LlmGateway;

/// <summary>
/// What a routing strategy knows when it orders an alias's targets for one request: the alias, its targets, the facts
/// of the request, and the state of each target as the gateway measures it. Read-only; a target's state is read when
/// asked for.
/// </summary>
public sealed class RoutingContext
{
    private readonly TargetStates? _states;
    private readonly Func<RouteTarget, RouteTargetState>? _stateOf;

    /// <summary>Creates a context, for testing a strategy: each target's state comes from
    /// <paramref name="stateOf"/>, else is empty (nothing in flight, nothing measured, circuit closed).</summary>
    /// <param name="aliasName">The alias being served.</param>
    /// <param name="targets">The alias's targets, in configuration order.</param>
    /// <param name="stateOf">The state of a target, or null.</param>
    public RoutingContext(string aliasName, IReadOnlyList<RouteTarget> targets, Func<RouteTarget, RouteTargetState>? stateOf = null)
    {
        ArgumentNullException.ThrowIfNull(aliasName);
        ArgumentNullException.ThrowIfNull(targets);
        AliasName = aliasName;
        Targets = targets;
        _stateOf = stateOf;
    }

    internal RoutingContext(string aliasName, IReadOnlyList<RouteTarget> targets, in RoutingRequest request, TargetStates states)
    {
        AliasName = aliasName;
        Targets = targets;
        Operation = request.Operation;
        IsStreaming = request.Stream;
        EstimatedPromptTokens = request.EstimatedPromptTokens;
        CallerId = request.CallerId;
        _states = states;
    }

    /// <summary>Gets the alias being served.</summary>
    public string AliasName { get; }

    /// <summary>Gets the alias's targets, in configuration order.</summary>
    public IReadOnlyList<RouteTarget> Targets { get; }

    /// <summary>Gets the request's operation.</summary>
    public GatewayOperation Operation { get; init; }

    /// <summary>Gets a value indicating whether the request asks for a stream.</summary>
    public bool IsStreaming { get; init; }

    /// <summary>Gets the estimated prompt tokens of the request, when the gateway estimated them (the caller has a
    /// token limit); null otherwise.</summary>
    public int? EstimatedPromptTokens { get; init; }

    /// <summary>Gets the id the caller's failures and circuits count under (its gateway key id, or <c>in-process</c>);
    /// null when the order is asked for outside a request.</summary>
    public string? CallerId { get; init; }

    /// <summary>Gets a target's current state: requests in flight, measured latencies, and its circuit for this
    /// request's caller. Read anew on each call.</summary>
    /// <param name="target">One of <see cref="Targets"/>.</param>
    /// <returns>The target's state.</returns>
    public RouteTargetState GetState(RouteTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return _states is not null ? _states.Get(target, CallerId) : _stateOf?.Invoke(target) ?? default;
    }
}

/// <summary>A route target's state as the gateway measures it, for routing strategies. Price and context window are
/// facts of the model, on <see cref="RouteTarget"/>.</summary>
public readonly struct RouteTargetState
{
    /// <summary>Gets the requests in flight to the target now (through this gateway instance).</summary>
    public int InFlight { get; init; }

    /// <summary>Gets the exponentially weighted moving average (α = 0.3) of the target's time to answer, to the first
    /// event for streams; null until a call to it succeeded.</summary>
    public TimeSpan? Latency { get; init; }

    /// <summary>Gets the exponentially weighted moving average (α = 0.3) of the target's time to first event of its
    /// successful streams; null until a stream from it began.</summary>
    public TimeSpan? TimeToFirstToken { get; init; }

    /// <summary>Gets the target's circuit for the request's caller.</summary>
    public TargetCircuitState Circuit { get; init; }
}

/// <summary>The state of a route target's circuit, for one caller.</summary>
public enum TargetCircuitState
{
    /// <summary>Requests go to the target.</summary>
    Closed = 0,

    /// <summary>The target failed: the gateway skips it while another target remains (for everyone, or for this
    /// caller whose own requests failed there).</summary>
    Open = 1,

    /// <summary>The break is over: the next request to the target probes it, and its outcome closes or reopens the
    /// circuit.</summary>
    HalfOpen = 2,
}
