namespace LlmGateway;

/// <summary>
/// Orders the targets of a model alias for one request: the gateway tries them in that order, moving on after a
/// retryable failure. Register implementations with
/// <see cref="LlmGatewayBuilderExtensions.AddRoutingStrategiesFrom"/> (every public one of an assembly) or
/// <c>TryAddEnumerable(ServiceDescriptor.Singleton&lt;IRoutingStrategy, …&gt;())</c>; configuration names each by
/// <see cref="Name"/>.
/// </summary>
/// <remarks>Called concurrently for every request to an alias: implementations must be thread-safe and fast.</remarks>
public interface IRoutingStrategy
{
    /// <summary>Gets the strategy name, as written in <c>LlmGateway:Models:&lt;alias&gt;:Strategy</c>.</summary>
    string Name { get; }

    /// <summary>Orders the targets.</summary>
    /// <param name="aliasName">The alias being served.</param>
    /// <param name="targets">The alias's targets, in configuration order.</param>
    /// <returns>The targets in the order to try them.</returns>
    IReadOnlyList<RouteTarget> Order(string aliasName, IReadOnlyList<RouteTarget> targets);
}
