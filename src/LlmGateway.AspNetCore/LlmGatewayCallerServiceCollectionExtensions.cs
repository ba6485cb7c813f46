using System.Security.Claims;
using LlmGateway.AspNetCore.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway;

/// <summary>Registers how the gateway's endpoints recognise callers the application authenticated itself.</summary>
public static class LlmGatewayCallerServiceCollectionExtensions
{
    /// <summary>
    /// Maps the authenticated user of a request (<see cref="Microsoft.AspNetCore.Http.HttpContext.User"/>, as the
    /// application's authentication middleware set it) to the gateway caller it is limited and billed as.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="mapPrincipal">Maps a principal with an authenticated identity to its caller (e.g. from a tenant
    /// claim), or returns null when it is not one of the gateway's callers; then the request needs a gateway key as
    /// usual. It is not called for a request without an authenticated identity. Callers may be made once and reused:
    /// rate limits and usage are counted by <see cref="GatewayCaller.Id"/>, not by instance.</param>
    /// <returns>The services, for chaining.</returns>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IServiceCollection AddLlmGatewayCallers(this IServiceCollection services, Func<ClaimsPrincipal, GatewayCaller?> mapPrincipal)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(mapPrincipal);
        services.AddSingleton<ILlmGatewayCallerResolver>(new PrincipalCallerResolver(mapPrincipal));
        return services;
    }

    /// <summary>Adds a resolver that recognises callers of the gateway's endpoints, as a singleton.</summary>
    /// <typeparam name="TResolver">The resolver.</typeparam>
    /// <param name="services">The services.</param>
    /// <returns>The services, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    public static IServiceCollection AddLlmGatewayCallerResolver<TResolver>(this IServiceCollection services)
        where TResolver : class, ILlmGatewayCallerResolver
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<ILlmGatewayCallerResolver, TResolver>();
        return services;
    }
}
