namespace LlmGateway.Internal;

/// <summary>The outcome of authenticating a request: the caller and the provider key it brought, or the refusal.</summary>
internal readonly record struct AuthResult(GatewayCaller? Caller, string? ProviderKey, GatewayError? Error);

/// <summary>
/// Applies <c>LlmGateway:Auth:Mode</c> to what a request presented: the bearer token and the
/// <c>x-llmgateway-provider-key</c> header. Keys are never logged, and a key a caller brings is only handed on.
/// </summary>
internal sealed class GatewayAuthenticator(RouteTableProvider routes, KeyRegistry keys, TimeProvider timeProvider)
{
    /// <summary>The header a Hybrid-mode caller puts its own provider key in.</summary>
    public const string ProviderKeyHeader = "x-llmgateway-provider-key";

    private (AuthOptions Options, GatewayCaller Caller)? _client;

    /// <summary>Authenticates a request.</summary>
    /// <param name="bearer">The <c>Authorization: Bearer</c> token, if any.</param>
    /// <param name="providerKey">The <see cref="ProviderKeyHeader"/> value, if any.</param>
    /// <param name="isLoopback">Whether the request arrived on a loopback address (mode None serves only those unless
    /// <see cref="AuthOptions.AllowNoneBeyondLoopback"/>).</param>
    /// <param name="cancellationToken">Cancels the key lookup.</param>
    public async ValueTask<AuthResult> AuthenticateAsync(string? bearer, string? providerKey, bool isLoopback, CancellationToken cancellationToken)
    {
        var auth = routes.Current.Options.Auth;
        switch (auth.Mode)
        {
            case GatewayAuthMode.None:
                return isLoopback || auth.AllowNoneBeyondLoopback
                    ? new AuthResult(GatewayCaller.Anonymous, null, null)
                    : Refuse(GatewayErrorKind.PermissionDenied, "LlmGateway:Auth:Mode is None, which serves loopback clients only. Configure gateway keys (Mode Gateway) or set LlmGateway:Auth:AllowNoneBeyondLoopback.");

            case GatewayAuthMode.Client:
                if (string.IsNullOrEmpty(bearer))
                {
                    return Refuse(GatewayErrorKind.InvalidApiKey, "You didn't provide an API key. This gateway runs in Client mode: pass your provider key as 'Authorization: Bearer <key>'.");
                }

                return new AuthResult(ClientCaller(auth), bearer, null);

            default:
                if (string.IsNullOrEmpty(bearer))
                {
                    return Refuse(GatewayErrorKind.InvalidApiKey, "You didn't provide an API key. Pass a gateway key as 'Authorization: Bearer <key>'.");
                }

                var key = await keys.FindAsync(bearer, cancellationToken);
                if (key is null)
                {
                    return Refuse(GatewayErrorKind.InvalidApiKey, "Incorrect API key provided. Gateway keys come from LlmGateway:Auth:Keys or the admin API (/admin/keys).");
                }

                if (key.IsRevoked)
                {
                    return Refuse(GatewayErrorKind.InvalidApiKey, "The API key has been revoked.");
                }

                if (key.ExpiresAt is { } expiry && expiry <= timeProvider.GetUtcNow())
                {
                    return Refuse(GatewayErrorKind.InvalidApiKey, "The API key has expired.");
                }

                return new AuthResult(new GatewayCaller(key), auth.Mode == GatewayAuthMode.Hybrid && !string.IsNullOrEmpty(providerKey) ? providerKey : null, null);
        }
    }

    private GatewayCaller ClientCaller(AuthOptions auth)
    {
        var cached = _client;
        if (cached is { } c && ReferenceEquals(c.Options, auth))
        {
            return c.Caller;
        }

        var policy = auth.Client;
        var caller = new GatewayCaller(new StoredKey
        {
            Id = "client",
            Name = "Client mode callers",
            Hash = string.Empty,
            Source = "client",
            AllowedModels = policy.AllowedModels,
            RequestsPerMinute = policy.RequestsPerMinute,
            TokensPerMinute = policy.TokensPerMinute,
            ModelLimits = policy.ModelLimits,
            Strategy = policy.Strategy,
            Budget = policy.Budget,
        });
        _client = (auth, caller);
        return caller;
    }

    private static AuthResult Refuse(GatewayErrorKind kind, string message) => new(null, null, new GatewayError(kind, message));
}
