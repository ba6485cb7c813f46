namespace LlmGateway.Internal;

/// <summary>What a request tells a routing strategy about itself.</summary>
internal readonly record struct RoutingRequest(GatewayOperation Operation, bool Stream, int? EstimatedPromptTokens, string? CallerId);

/// <summary>Reads each target's state for <see cref="RoutingContext"/>, from the counters the pipeline keeps.</summary>
internal sealed class TargetStates(InFlightCounter inFlight, LatencyTracker latency, TargetHealth health)
{
    /// <summary>Counters of their own, for a route table built without a container (tests).</summary>
    public static TargetStates Detached() => new(new InFlightCounter(), new LatencyTracker(), new TargetHealth(TimeProvider.System));

    public RouteTargetState Get(RouteTarget target, string? caller)
    {
        var name = target.Name;
        return new RouteTargetState
        {
            InFlight = inFlight.Get(name),
            Latency = latency.Average(name),
            TimeToFirstToken = latency.FirstToken(name),
            Circuit = health.CircuitOf(target, caller ?? GatewayCaller.InProcessId),
        };
    }
}
