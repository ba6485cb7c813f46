using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// What every group of the gateway's endpoints shares, whichever of <c>MapLlmGateway</c>, <c>MapLlmGatewayHealth</c>
/// and <c>MapLlmGatewayAdmin</c> an app calls, and in whatever order: one <see cref="RequestScope"/> per app, and the
/// start-up checks (<see cref="NoneModeGuard"/>, <see cref="ShutdownCheck"/>) registered once.
/// </summary>
internal static class GatewayEndpointSetup
{
    private static readonly ConditionalWeakTable<IServiceProvider, RequestScope> s_scopes = [];
    private static readonly Lock s_gate = new();

    /// <summary>A new route group on <paramref name="endpoints"/> whose every endpoint runs inside the app's
    /// <see cref="RequestScope"/>.</summary>
    public static RouteGroupBuilder CreateGroup(IEndpointRouteBuilder endpoints, out RequestScope scope)
    {
        scope = ScopeFor(endpoints.ServiceProvider);
        var group = endpoints.MapGroup(string.Empty);

        // Wraps each endpoint's delegate, minimal-API handlers and health checks alike, so the request id is set
        // before anything else runs, is on every response, errors included, and in the scope of every log line.
        var shared = scope;
        ((IEndpointConventionBuilder)group).Add(builder =>
        {
            if (builder.RequestDelegate is { } next)
            {
                var endpoint = (builder as RouteEndpointBuilder)?.RoutePattern.RawText ?? builder.DisplayName ?? "unknown";
                builder.RequestDelegate = context => shared.InvokeAsync(context, next, endpoint);
            }
        });
        return group;
    }

    /// <summary>The app's scope; made, with the start-up checks registered, by the first mapping. The logger and the
    /// metrics are resolved once here rather than per request.</summary>
    private static RequestScope ScopeFor(IServiceProvider services)
    {
        lock (s_gate)
        {
            if (s_scopes.TryGetValue(services, out var scope))
            {
                return scope;
            }

            scope = RequestScope.Create(services);
            NoneModeGuard.Register(services);
            ShutdownCheck.Register(services);
            s_scopes.Add(services, scope);
            return scope;
        }
    }
}
