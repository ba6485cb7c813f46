using Microsoft.AspNetCore.Routing;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>STUB: the admin API, implemented by the keys work.</summary>
internal static class AdminEndpoints
{
    public static void Map(IEndpointRouteBuilder group)
    {
        _ = group;
    }
}
