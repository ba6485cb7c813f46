using System.Globalization;
using System.Net;
using LlmGateway.Internal;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// Reads what a request presents (<c>Authorization: Bearer</c>, <c>x-llmgateway-provider-key</c>) and has it
/// authenticated under <c>LlmGateway:Auth:Mode</c>, before the body is read: an unauthenticated caller cannot make
/// the gateway read a large body. Also writes the <c>x-ratelimit-*</c> headers.
/// </summary>
internal static class CallerAuthentication
{
    public static ValueTask<AuthResult> AuthenticateAsync(HttpContext context)
    {
        var authenticator = context.RequestServices.GetRequiredService<GatewayAuthenticator>();
        var headers = context.Request.Headers;
        var local = context.Connection.LocalIpAddress;
        return authenticator.AuthenticateAsync(
            Bearer(headers.Authorization.ToString()),
            headers[GatewayAuthenticator.ProviderKeyHeader] is [{ Length: > 0 } providerKey] ? providerKey : null,
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

        static void Write(HttpResponse response, BucketState? state, string unit)
        {
            if (state is not { } s)
            {
                return;
            }

            var headers = response.Headers;
            headers["x-ratelimit-limit-" + unit] = s.Limit.ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-remaining-" + unit] = Math.Max(0, s.Remaining).ToString(CultureInfo.InvariantCulture);
            headers["x-ratelimit-reset-" + unit] = CallerPolicy.FormatDuration(s.ResetAfter);
        }
    }
}
