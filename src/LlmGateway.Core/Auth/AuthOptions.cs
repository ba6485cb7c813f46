namespace LlmGateway;

/// <summary>How callers authenticate: <c>LlmGateway:Auth</c>.</summary>
public sealed class AuthOptions
{
    /// <summary>Gets or sets the mode. Defaults to <see cref="GatewayAuthMode.Gateway"/>: with no key configured,
    /// every call is refused until one is.</summary>
    public GatewayAuthMode Mode { get; set; } = GatewayAuthMode.Gateway;

    /// <summary>
    /// Gets or sets the key that opens the admin API (<c>/admin/…</c>), as the plain key. Unset: the admin API answers
    /// 404. Prefer <see cref="AdminKeyHash"/> in files that others can read.
    /// </summary>
    public string? AdminKey { get; set; }

    /// <summary>Gets or sets the admin key as its SHA-256 hash, in hex (either case).</summary>
    public string? AdminKeyHash { get; set; }

    /// <summary>Gets or sets the gateway keys from configuration (<c>LlmGateway:Auth:Keys:&lt;i&gt;</c>). Keys created
    /// through the admin API are kept in the key store instead.</summary>
    public List<GatewayKeyOptions> Keys { get; set; } = [];

    /// <summary>
    /// Gets or sets the policy of callers in <see cref="GatewayAuthMode.Client"/> mode, who bring a provider key and
    /// no gateway key: the models they may use, their limits (shared by all of them) and budgets. Their usage is
    /// counted under the id <c>client</c>.
    /// </summary>
    public KeyPolicyOptions Client { get; set; } = new();

    /// <summary>
    /// Gets or sets a value indicating whether <see cref="GatewayAuthMode.None"/> may be used on a host that listens
    /// beyond loopback. Defaults to false: such a host fails to start (its start throws, naming the address), and a
    /// request arriving on a non-loopback address is refused.
    /// </summary>
    public bool AllowNoneBeyondLoopback { get; set; }

    /// <summary>
    /// Gets or sets the host names, besides loopback ones, that requests may be addressed to (their <c>Host</c> header) in
    /// <see cref="GatewayAuthMode.None"/>: each a name (<c>gateway.internal</c>), a wildcard for its subdomains
    /// (<c>*.dev.example.com</c>), an IP address, or <c>*</c> for any host; no scheme, no port. Empty: only
    /// <c>localhost</c>, <c>*.localhost</c>, <c>127.0.0.0/8</c> and <c>[::1]</c>, with any port. Other modes ignore it.
    /// </summary>
    /// <remarks>A request addressed to any other name gets 403 <c>host_not_allowed</c>: a web page whose own name
    /// resolves to this machine (DNS rebinding) could otherwise call the gateway and read its answers.</remarks>
    public List<string> AllowedHosts { get; set; } = [];
}

/// <summary>The ways callers authenticate (<c>LlmGateway:Auth:Mode</c>).</summary>
public enum GatewayAuthMode
{
    /// <summary>Callers present a gateway key as <c>Authorization: Bearer …</c>; providers get the configured keys.</summary>
    Gateway,

    /// <summary>The caller's bearer token is the provider key, sent to the routed model's provider for this call only.</summary>
    Client,

    /// <summary>A gateway key authenticates; the caller may add its own provider key in the
    /// <c>x-llmgateway-provider-key</c> header, used instead of the configured one.</summary>
    Hybrid,

    /// <summary>No authentication: local development only, refused on a host that listens beyond loopback unless
    /// <see cref="AuthOptions.AllowNoneBeyondLoopback"/> is set.</summary>
    None,
}

/// <summary>What a caller may do: models, rate limits and budgets.</summary>
public class KeyPolicyOptions
{
    /// <summary>
    /// Gets or sets the models the caller may use, as the client names them (an alias, <c>provider/model</c> or a
    /// bare id); a trailing <c>*</c> matches a prefix. Empty: every model.
    /// </summary>
    public List<string> AllowedModels { get; set; } = [];

    /// <summary>Gets or sets the requests per minute the caller may make, over all models. Unset: no limit.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Gets or sets the tokens (prompt and completion) per minute, over all models. Unset: no limit.</summary>
    public int? TokensPerMinute { get; set; }

    /// <summary>Gets or sets limits per model, by the model name as the client sends it (a trailing <c>*</c> matches
    /// a prefix), applied on top of the caller's overall limits.</summary>
    public Dictionary<string, ModelLimitOptions> ModelLimits { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets the rate-limit strategy for this caller. Unset: <see cref="RateLimitOptions.Strategy"/>.</summary>
    public RateLimitStrategy? Strategy { get; set; }

    /// <summary>Gets or sets the caller's budgets (UTC days and months).</summary>
    public BudgetOptions Budget { get; set; } = new();
}

/// <summary>One gateway key from configuration: <c>LlmGateway:Auth:Keys:&lt;i&gt;</c>.</summary>
public sealed class GatewayKeyOptions : KeyPolicyOptions
{
    /// <summary>Gets or sets the key, as the caller presents it. Give this or <see cref="KeyHash"/>.</summary>
    public string? Key { get; set; }

    /// <summary>Gets or sets the key's SHA-256 hash in hex (either case), so configuration need not hold the key.</summary>
    public string? KeyHash { get; set; }

    /// <summary>Gets or sets the key's name, used as its id in usage reports. Defaults to <c>config-&lt;i&gt;</c>.</summary>
    public string? Name { get; set; }

    /// <summary>Gets or sets when the key stops working. Unset: never.</summary>
    public DateTimeOffset? ExpiresAt { get; set; }
}

/// <summary>Limits for one model of a caller.</summary>
public sealed class ModelLimitOptions
{
    /// <summary>Gets or sets the requests per minute. Unset: no limit.</summary>
    public int? RequestsPerMinute { get; set; }

    /// <summary>Gets or sets the tokens per minute. Unset: no limit.</summary>
    public int? TokensPerMinute { get; set; }
}

/// <summary>
/// A caller's budgets, per UTC day and calendar month: tokens (prompt and completion) and cost in US dollars from the
/// catalog's prices. A call made once a budget is spent is refused with 429 <c>insufficient_quota</c>.
/// </summary>
public sealed class BudgetOptions
{
    /// <summary>Gets or sets the tokens per day.</summary>
    public long? DailyTokens { get; set; }

    /// <summary>Gets or sets the tokens per month.</summary>
    public long? MonthlyTokens { get; set; }

    /// <summary>Gets or sets the cost per day, in US dollars.</summary>
    public decimal? DailyCost { get; set; }

    /// <summary>Gets or sets the cost per month, in US dollars.</summary>
    public decimal? MonthlyCost { get; set; }
}

/// <summary>How a rate limit counts (<c>LlmGateway:RateLimits</c>).</summary>
public sealed class RateLimitOptions
{
    /// <summary>Gets or sets the default strategy. Defaults to <see cref="RateLimitStrategy.SlidingWindow"/>.</summary>
    public RateLimitStrategy Strategy { get; set; } = RateLimitStrategy.SlidingWindow;

    /// <summary>
    /// Gets or sets the output tokens a token limit reserves for a request that sets no <c>max_tokens</c> /
    /// <c>max_completion_tokens</c> / <c>max_output_tokens</c>; settled with the real count afterwards. Defaults to 256.
    /// </summary>
    public int DefaultOutputTokens { get; set; } = 256;
}

/// <summary>Rate-limit strategies, each over a window of one minute.</summary>
public enum RateLimitStrategy
{
    /// <summary>A counter per calendar minute: simple, but allows a burst of twice the limit across a minute's edge.</summary>
    FixedWindow,

    /// <summary>The current minute's count plus the previous minute's, weighted by how much of it still overlaps the
    /// last 60 seconds: no edge bursts.</summary>
    SlidingWindow,

    /// <summary>A bucket of the limit's size that refills continuously at the limit per minute: allows a full burst, then
    /// a steady rate.</summary>
    TokenBucket,
}
