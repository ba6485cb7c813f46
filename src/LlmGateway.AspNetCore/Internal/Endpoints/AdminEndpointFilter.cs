using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// Guards every <c>/admin/…</c> endpoint and is their error boundary. With no admin key configured the admin API
/// does not exist (404, as for any unknown path); a missing or wrong admin key is 401. A refusal of
/// <see cref="GatewayKeyAdministration"/> (<see cref="LlmGatewayException"/>) is answered with its error; the key store
/// being down is 503; anything unexpected is logged and answered 500 without details.
/// </summary>
/// <remarks>An endpoint filter rather than a route-group convention, so it runs inside the request-id wrapper of
/// <c>MapLlmGateway</c> and its answers carry <c>x-request-id</c> too.</remarks>
internal sealed class AdminEndpointFilter(GatewayAuthenticator authenticator, ILogger<AdminEndpointFilter> logger) : IEndpointFilter
{
    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext invocationContext, EndpointFilterDelegate next)
    {
        var context = invocationContext.HttpContext;
        if (!authenticator.HasAdminKey)
        {
            await ErrorResults.WriteAsync(context, new GatewayError(GatewayErrorKind.NotFound, $"Invalid URL ({context.Request.Method} {context.Request.Path})."));
            return Results.Empty;
        }

        if (!authenticator.IsAdminKey(BearerToken(context.Request)))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
            await ErrorResults.WriteAsync(context, new GatewayError(GatewayErrorKind.InvalidApiKey, "The admin API needs the admin key (LlmGateway:Auth:AdminKey) as 'Authorization: Bearer <admin key>'; it is missing or wrong."));
            return Results.Empty;
        }

        try
        {
            return await next(invocationContext);
        }
        catch (LlmGatewayException ex)
        {
            // A refusal of GatewayKeyAdministration (unknown id, read-only key, invalid settings): the error it carries.
            await ErrorResults.WriteAsync(context, ex.Error);
            return Results.Empty;
        }
        catch (KeyStoreUnavailableException ex)
        {
            await ErrorResults.WriteAsync(context, new GatewayError(GatewayErrorKind.ServiceUnavailable, ex.Message) { RetryAfter = TimeSpan.FromSeconds(5) });
            return Results.Empty;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return Results.Empty;
        }
        catch (Exception ex)
        {
            logger.EndpointFailed(ClientText.ForLog(context.Request.Path), ex);
            await ErrorResults.WriteAsync(context, new GatewayError(GatewayErrorKind.Internal, "The gateway failed to handle the request."));
            return Results.Empty;
        }
    }

    /// <summary>The token of <c>Authorization: Bearer …</c>, or null.</summary>
    internal static string? BearerToken(HttpRequest request)
    {
        var values = request.Headers.Authorization;
        if (values.Count != 1 || values[0] is not { } header)
        {
            return null;
        }

        const string Scheme = "Bearer ";
        if (!header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = header[Scheme.Length..].Trim();
        return token.Length == 0 ? null : token;
    }
}
