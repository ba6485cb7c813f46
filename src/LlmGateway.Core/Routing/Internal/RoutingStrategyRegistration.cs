using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Scrutor;

namespace LlmGateway.Internal;

/// <summary>Registers the <see cref="IRoutingStrategy"/> classes of an assembly, by scanning it with Scrutor.</summary>
internal static class RoutingStrategyRegistration
{
    /// <summary>
    /// Adds each concrete class of <paramref name="assembly"/> that implements <see cref="IRoutingStrategy"/> as a
    /// singleton <see cref="IRoutingStrategy"/>, once: a class already registered as one is skipped (as
    /// <c>TryAddEnumerable</c> would), so calling this twice, or after registering a strategy by hand, adds nothing.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="assembly">The assembly to scan.</param>
    /// <param name="includeInternal">Whether non-public classes count (the gateway's own built-ins are internal).</param>
    public static void AddFrom(IServiceCollection services, Assembly assembly, bool includeInternal) =>
        services.Scan(scan => scan.FromAssemblies(assembly)
            .AddClasses(classes => classes.AssignableTo<IRoutingStrategy>(), publicOnly: !includeInternal)
            .UsingRegistrationStrategy(TryAddEnumerableStrategy.Instance)
            .As<IRoutingStrategy>()
            .WithSingletonLifetime());

    /// <summary>Scrutor's <see cref="RegistrationStrategy.Skip"/> skips a service type already registered at all, which
    /// would keep any second strategy out; this skips only the same implementation, as <c>TryAddEnumerable</c> does.</summary>
    internal sealed class TryAddEnumerableStrategy : RegistrationStrategy
    {
        public static readonly TryAddEnumerableStrategy Instance = new();

        public override void Apply(IServiceCollection services, ServiceDescriptor descriptor) => services.TryAddEnumerable(descriptor);
    }
}
