using System.Security.Claims;
using Microsoft.AspNetCore.Http;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>Maps a request's authenticated user to a caller with the application's function.</summary>
internal sealed class PrincipalCallerResolver(Func<ClaimsPrincipal, GatewayCaller?> map) : ILlmGatewayCallerResolver
{
    public ValueTask<GatewayCaller?> ResolveAsync(HttpContext context, CancellationToken cancellationToken)
    {
        var user = context.User;
        return ValueTask.FromResult(IsAuthenticated(user) ? map(user) : null);
    }

    private static bool IsAuthenticated(ClaimsPrincipal user)
    {
        foreach (var identity in user.Identities)
        {
            if (identity.IsAuthenticated)
            {
                return true;
            }
        }

        return false;
    }
}
