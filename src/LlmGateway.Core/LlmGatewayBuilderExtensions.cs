using System.Reflection;
using LlmGateway.Internal;

namespace LlmGateway;

/// <summary>Registrations chained on <see cref="ILlmGatewayBuilder"/>.</summary>
public static class LlmGatewayBuilderExtensions
{
    /// <summary>
    /// Registers every public, non-abstract class of <paramref name="assembly"/> that implements
    /// <see cref="IRoutingStrategy"/>, as a singleton resolved from the container (its constructor may take any
    /// registered service). Configuration then names each by its <see cref="IRoutingStrategy.Name"/> in
    /// <c>LlmGateway:Models:&lt;alias&gt;:Strategy</c>. A class already registered as a strategy is not added twice.
    /// </summary>
    /// <param name="builder">The gateway builder.</param>
    /// <param name="assembly">The assembly whose strategies to add, e.g. <c>typeof(MyStrategy).Assembly</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="assembly"/> is null.</exception>
    public static ILlmGatewayBuilder AddRoutingStrategiesFrom(this ILlmGatewayBuilder builder, Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(assembly);
        RoutingStrategyRegistration.AddFrom(builder.Services, assembly, includeInternal: false);
        return builder;
    }
}
