using LlmGateway.Internal;

namespace LlmGateway;

/// <summary>
/// The outcome of authenticating a request: the caller and the provider key it brought, or the refusal to answer
/// with (401 <c>invalid_api_key</c>, 403).
/// </summary>
public sealed class GatewayAuthenticationResult
{
    private GatewayAuthenticationResult(GatewayCaller? caller, string? providerKey, GatewayError? error)
    {
        Caller = caller;
        ProviderKey = providerKey;
        Error = error;
    }

    /// <summary>Gets the authenticated caller; null when the request was refused.</summary>
    public GatewayCaller? Caller { get; }

    /// <summary>Gets the provider key the caller brought for this call only (Client and Hybrid modes), if any: never
    /// stored, cached under or logged.</summary>
    public string? ProviderKey { get; }

    /// <summary>Gets the refusal, when the request was not authenticated.</summary>
    public GatewayError? Error { get; }

    /// <summary>Gets a value indicating whether the request was authenticated.</summary>
    public bool Succeeded => Error is null;

    /// <summary>Creates a success.</summary>
    /// <param name="caller">The caller.</param>
    /// <param name="providerKey">The provider key the caller brought for this call, if any.</param>
    /// <returns>The result.</returns>
    public static GatewayAuthenticationResult Success(GatewayCaller caller, string? providerKey = null)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return new(caller, providerKey, null);
    }

    /// <summary>Creates a refusal.</summary>
    /// <param name="error">The error to answer with.</param>
    /// <returns>The result.</returns>
    public static GatewayAuthenticationResult Fail(GatewayError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        return new(null, null, error);
    }
}

/// <summary>
/// Applies <c>LlmGateway:Auth:Mode</c> to what a request presented: the bearer token and the
/// <c>x-llmgateway-provider-key</c> header. Keys are never logged, and a key a caller brings is only handed on.
/// Registered as a singleton by <c>AddLlmGateway</c>; thread-safe. HTTP hosts (<c>LlmGateway.AspNetCore</c>) call it for
/// each request; in-process code sets <see cref="GatewayRequest.Caller"/> instead.
/// </summary>
public sealed class GatewayAuthenticator
{
    /// <summary>The header a Hybrid-mode caller puts its own provider key in.</summary>
    public const string ProviderKeyHeader = "x-llmgateway-provider-key";

    private readonly RouteTableProvider _routes;
    private readonly KeyRegistry _keys;
    private readonly TimeProvider _timeProvider;
    private (AuthOptions Options, GatewayCaller Caller)? _client;

    internal GatewayAuthenticator(RouteTableProvider routes, KeyRegistry keys, TimeProvider timeProvider)
    {
        _routes = routes;
        _keys = keys;
        _timeProvider = timeProvider;
    }

    /// <summary>Gets the authentication mode in effect (<c>LlmGateway:Auth:Mode</c>, as currently configured).</summary>
    public GatewayAuthMode Mode => _routes.Current.Options.Auth.Mode;

    /// <summary>Gets a value indicating whether an admin key is configured (<c>LlmGateway:Auth:AdminKey</c> or a valid
    /// <c>AdminKeyHash</c>); without one, the admin API does not exist.</summary>
    public bool HasAdminKey => _keys.HasAdminKey;

    /// <summary>Whether <paramref name="presentedKey"/> is the admin key, compared in constant time (by its SHA-256).</summary>
    /// <param name="presentedKey">What the caller presented, e.g. its <c>Authorization: Bearer</c> token.</param>
    /// <returns>True when it is the admin key; false when it is not, or no admin key is configured.</returns>
    public bool IsAdminKey(string? presentedKey) => _keys.IsAdmin(presentedKey);

    /// <summary>Authenticates what a request presented under <c>LlmGateway:Auth:Mode</c>.</summary>
    /// <param name="bearerToken">The <c>Authorization: Bearer</c> token, if any.</param>
    /// <param name="providerKey">The <see cref="ProviderKeyHeader"/> value, if any.</param>
    /// <param name="isLoopback">Whether the request arrived on a loopback address (mode None serves only those unless
    /// <see cref="AuthOptions.AllowNoneBeyondLoopback"/>).</param>
    /// <param name="cancellationToken">Cancels the key lookup.</param>
    /// <returns>The caller, or the refusal to answer with.</returns>
    public async ValueTask<GatewayAuthenticationResult> AuthenticateAsync(string? bearerToken, string? providerKey, bool isLoopback, CancellationToken cancellationToken = default)
    {
        var auth = _routes.Current.Options.Auth;
        switch (auth.Mode)
        {
            case GatewayAuthMode.None:
                return isLoopback || auth.AllowNoneBeyondLoopback
                    ? GatewayAuthenticationResult.Success(GatewayCaller.Anonymous)
                    : Refuse(GatewayErrorKind.PermissionDenied, "LlmGateway:Auth:Mode is None, which serves loopback clients only. Configure gateway keys (Mode Gateway) or set LlmGateway:Auth:AllowNoneBeyondLoopback.");

            case GatewayAuthMode.Client:
                if (string.IsNullOrEmpty(bearerToken))
                {
                    return Refuse(GatewayErrorKind.InvalidApiKey, "You didn't provide an API key. This gateway runs in Client mode: pass your provider key as 'Authorization: Bearer <key>'.");
                }

                return GatewayAuthenticationResult.Success(ClientCaller(auth), bearerToken);

            default:
                if (string.IsNullOrEmpty(bearerToken))
                {
                    return Refuse(GatewayErrorKind.InvalidApiKey, "You didn't provide an API key. Pass a gateway key as 'Authorization: Bearer <key>'.");
                }

                var key = await _keys.FindAsync(bearerToken, cancellationToken);
                if (key is null)
                {
                    return Refuse(GatewayErrorKind.InvalidApiKey, "Incorrect API key provided. Gateway keys come from LlmGateway:Auth:Keys or the admin API (/admin/keys).");
                }

                if (key.IsRevoked)
                {
                    return Refuse(GatewayErrorKind.InvalidApiKey, "The API key has been revoked.");
                }

                if (key.ExpiresAt is { } expiry && expiry <= _timeProvider.GetUtcNow())
                {
                    return Refuse(GatewayErrorKind.InvalidApiKey, "The API key has expired.");
                }

                return GatewayAuthenticationResult.Success(new GatewayCaller(key), auth.Mode == GatewayAuthMode.Hybrid && !string.IsNullOrEmpty(providerKey) ? providerKey : null);
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

    private static GatewayAuthenticationResult Refuse(GatewayErrorKind kind, string message) => GatewayAuthenticationResult.Fail(new GatewayError(kind, message));
}
