using System.Reflection;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.Internal;

/// <summary>Registers the <see cref="ILlmProviderFactory"/> classes of an assembly, by scanning it with Scrutor.</summary>
internal static class ProviderFactoryRegistration
{
    /// <summary>
    /// Adds each public concrete class of <paramref name="assembly"/> that implements <see cref="ILlmProviderFactory"/>
    /// as a singleton <see cref="ILlmProviderFactory"/>, once: a class already registered as one is skipped, as
    /// <c>TryAddEnumerable</c> would.
    /// </summary>
    public static void AddFrom(IServiceCollection services, Assembly assembly) =>
        services.Scan(scan => scan.FromAssemblies(assembly)
            .AddClasses(classes => classes.AssignableTo<ILlmProviderFactory>(), publicOnly: true)
            .UsingRegistrationStrategy(RoutingStrategyRegistration.TryAddEnumerableStrategy.Instance)
            .As<ILlmProviderFactory>()
            .WithSingletonLifetime());
}
