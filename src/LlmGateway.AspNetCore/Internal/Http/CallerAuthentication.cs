using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// Finds who a request comes from, before the body is read (an unauthenticated caller cannot make the gateway read a
/// large body): first the application's <see cref="ILlmGatewayCallerResolver"/>s, from what its own authentication
/// established; else what the request presents (<c>Authorization: Bearer</c>, <c>x-llmgateway-provider-key</c>),
/// authenticated under <c>LlmGateway:Auth:Mode</c>. Also writes the <c>x-ratelimit-*</c> headers.
/// </summary>
internal static class CallerAuthentication
{
    public static async ValueTask<GatewayAuthenticationResult> AuthenticateAsync(HttpContext context)
    {
        var services = context.RequestServices;
        var authenticator = services.GetRequiredService<GatewayAuthenticator>();
        var headers = context.Request.Headers;
        var providerKey = headers[GatewayAuthenticator.ProviderKeyHeader] is [{ Length: > 0 } brought] ? brought : null;
        foreach (var resolver in services.GetServices<ILlmGatewayCallerResolver>())
        {
            if (await resolver.ResolveAsync(context, context.RequestAborted) is { } resolved)
            {
                // The application vouches for this caller; only a Hybrid-mode gateway takes a provider key alongside.
                return GatewayAuthenticationResult.Success(resolved, authenticator.Mode == GatewayAuthMode.Hybrid ? providerKey : null);
            }
        }

        var local = context.Connection.LocalIpAddress;
        return await authenticator.AuthenticateAsync(
            Bearer(headers.Authorization.ToString()),
            providerKey,
            isLoopback: local is null || IPAddress.IsLoopback(local),
            context.RequestAborted);
    }

    /// <summary>The token of an <c>Authorization: Bearer …</c> header (scheme case-insensitive), or null.</summary>
    internal static string? Bearer(string authorization)
    {
        const string Scheme = "Bearer ";
        if (authorization.Length <= Scheme.Length || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var token = authorization.AsSpan(Scheme.Length).Trim();
        return token.IsEmpty ? null : token.ToString();
    }

    /// <summary>The <c>x-ratelimit-*</c> headers OpenAI sends: limit, remaining and time to reset, for requests and
    /// for tokens, of the bucket with the least left.</summary>
    public static void WriteRateLimitHeaders(HttpResponse response, RateLimitReport? report)
    {
        if (report is null)
        {
            return;
        }

        Write(response, report.Requests, "requests");
        Write(response, report.Tokens, "tokens");

        static void Write(HttpResponse response, RateLimitState? state, string unit)
        {
            if (state is not { } s)
            {
                return;
            }

            var headers = response.Headers;
            headers["x-ratelimit-limit-" + unit] = s.Limit.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-" + unit] = Math.Max(0, s.Remaining).ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-" + unit] = FormatDuration(s.ResetAfter);
        }
    }

    /// <summary>A duration as OpenAI writes it in <c>x-ratelimit-reset-*</c>: <c>20ms</c>, <c>1.5s</c>, <c>6m0s</c>.</summary>
    internal static string FormatDuration(TimeSpan duration)
    {
        if (duration < TimeSpan.Zero)
        {
            duration = TimeSpan.Zero;
        }

        if (duration < TimeSpan.FromSeconds(1))
        {
            return ((long)Math.Ceiling(duration.TotalMilliseconds)).ToString(CultureInfo.InvariantCulture) + "ms";
        }

        var minutes = (long)duration.TotalMinutes;
        var seconds = Math.Ceiling((duration.TotalSeconds - (minutes * 60)) * 1000) / 1000;
        var text = seconds.ToString("0.###", CultureInfo.InvariantCulture) + "s";
        return minutes > 0 ? minutes.ToString(CultureInfo.InvariantCulture) + "m" + text : text;
    }
}
