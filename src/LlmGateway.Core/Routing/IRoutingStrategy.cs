namespace LlmGateway;

/// <summary>
/// Orders the targets of a model alias for one request: the gateway tries them in that order, moving on after a
/// retryable failure. Register implementations with
/// <see cref="LlmGatewayBuilderExtensions.AddRoutingStrategiesFrom"/> (every public one of an assembly) or
/// <c>TryAddEnumerable(ServiceDescriptor.Singleton&lt;IRoutingStrategy, …&gt;())</c>; configuration names each by
/// <see cref="Name"/>.
/// </summary>
/// <remarks>Called concurrently for every request to an alias: implementations must be thread-safe and fast. The
/// built-in strategies see nothing more than <see cref="RoutingContext"/> gives every strategy.</remarks>
public interface IRoutingStrategy
{
    /// <summary>Gets the strategy name, as written in <c>LlmGateway:Models:&lt;alias&gt;:Strategy</c>.</summary>
    string Name { get; }

    /// <summary>Orders the targets.</summary>
    /// <param name="context">The alias, its targets in configuration order, what is known of the request, and each
    /// target's current state (<see cref="RoutingContext.GetState"/>).</param>
    /// <returns>The targets in the order to try them; a target left out is not tried.</returns>
    IReadOnlyList<RouteTarget> Order(RoutingContext context);
}
