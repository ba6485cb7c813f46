using Microsoft.AspNetCore.Http;

namespace LlmGateway;

/// <summary>
/// Recognises the caller of a request to the gateway's endpoints from what the application's own authentication
/// established (a JWT bearer token, Entra ID, a cookie), instead of a gateway key.
/// </summary>
/// <remarks>
/// <para>The endpoints ask each registered resolver in registration order before they look for a gateway key; the
/// first that returns a caller decides, and the request is limited and billed as that caller. A resolver that returns
/// null does not recognise the request ("not mine"): the next one is asked, and when none recognises it the request is
/// authenticated as <c>LlmGateway:Auth:Mode</c> says (a gateway key, or 401 as without resolvers).</para>
/// <para>Register one with
/// <see cref="LlmGatewayCallerServiceCollectionExtensions.AddLlmGatewayCallers(Microsoft.Extensions.DependencyInjection.IServiceCollection, Func{System.Security.Claims.ClaimsPrincipal, GatewayCaller?})"/>
/// or <see cref="LlmGatewayCallerServiceCollectionExtensions.AddLlmGatewayCallerResolver{TResolver}(Microsoft.Extensions.DependencyInjection.IServiceCollection)"/>.
/// Resolvers are singletons, called concurrently.</para>
/// </remarks>
public interface ILlmGatewayCallerResolver
{
    /// <summary>Recognises the caller of a request.</summary>
    /// <param name="context">The request, with <see cref="HttpContext.User"/> as the application's authentication set it.</param>
    /// <param name="cancellationToken">Cancels the lookup (the request was aborted).</param>
    /// <returns>The caller, or null when this resolver does not recognise the request.</returns>
    ValueTask<GatewayCaller?> ResolveAsync(HttpContext context, CancellationToken cancellationToken);
}
