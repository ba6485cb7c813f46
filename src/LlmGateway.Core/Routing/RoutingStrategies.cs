namespace LlmGateway;

/// <summary>The names of the built-in routing strategies, as used in <c>LlmGateway:Models:&lt;alias&gt;:Strategy</c>.</summary>
public static class RoutingStrategies
{
    /// <summary>Targets in priority order; the next on a retryable failure.</summary>
    public const string Fallback = nameof(Fallback);

    /// <summary>Each request starts at the next target in turn; the others follow as fallbacks.</summary>
    public const string RoundRobin = nameof(RoundRobin);

    /// <summary>The first target is drawn at random in proportion to the weights; the others follow by weight.</summary>
    public const string Weighted = nameof(Weighted);

    /// <summary>The target with the fewest requests in flight first.</summary>
    public const string LeastBusy = nameof(LeastBusy);

    /// <summary>The target with the lowest moving average of time to answer (to the first event for streams) first.</summary>
    public const string LeastLatency = nameof(LeastLatency);

    /// <summary>The cheapest target first (input plus output price per million tokens, from the catalog); targets
    /// without a price last.</summary>
    public const string Cost = nameof(Cost);
}
