using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace LlmGateway.Samples.AspNetCore;

/// <summary>The app's API keys: caller name → key (configuration section <c>ApiKeys</c>).</summary>
internal sealed class ApiKeyAuthenticationOptions : AuthenticationSchemeOptions
{
    public Dictionary<string, string> Keys { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The app's own authentication: <c>Authorization: Bearer &lt;key&gt;</c> with one of its keys. A bearer token, so
/// the OpenAI SDKs work against the gateway mounted in this app unchanged: their API key is this app's key. The
/// gateway never sees it as a key: in its Auth mode None it ignores the header and sends its configured provider key
/// upstream.
/// </summary>
internal sealed class ApiKeyAuthenticationHandler(IOptionsMonitor<ApiKeyAuthenticationOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<ApiKeyAuthenticationOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    private const string Bearer = "Bearer ";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (!header.StartsWith(Bearer, StringComparison.OrdinalIgnoreCase))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        // Compared as SHA-256 hashes in constant time, so neither the length nor the content of a key leaks by timing.
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header[Bearer.Length..].Trim()));
        foreach (var (name, key) in Options.Keys)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, SHA256.HashData(Encoding.UTF8.GetBytes(key))))
            {
                var identity = new ClaimsIdentity([new Claim(ClaimTypes.Name, name)], Scheme.Name);
                return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), Scheme.Name)));
            }
        }

        return Task.FromResult(AuthenticateResult.Fail("Unknown API key."));
    }

    /// <summary>Answers 401 in OpenAI's error envelope, so an OpenAI SDK raises its usual authentication error.</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Response.WriteAsJsonAsync(new
        {
            error = new
            {
                message = "Missing or unknown API key: send 'Authorization: Bearer <key>' with a key from this app's ApiKeys.",
                type = "invalid_request_error",
                param = (string?)null,
                code = "invalid_api_key",
            },
        });
    }
}
