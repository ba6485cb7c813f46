using System.Text.Json.Serialization;

namespace LlmGateway;

/// <summary>
/// A gateway key as an <see cref="IKeyStore"/> keeps it: its SHA-256 hash (never the key), its policy, and the provider
/// keys it carries, encrypted by the <see cref="IProviderKeyProtector"/>. Keys from configuration are represented the
/// same way (source <c>config</c>) but live only in memory, rebuilt from each configuration snapshot.
/// </summary>
/// <remarks>Plain data: a store may serialize it (the Redis store keeps it as JSON) and must give back equal values.</remarks>
public sealed class StoredKey
{
    /// <summary>Gets the id: <c>key_…</c> for keys created through the admin API, the configured name for configured
    /// ones. Usage is counted under it.</summary>
    public required string Id { get; init; }

    /// <summary>Gets the display name.</summary>
    public string? Name { get; init; }

    /// <summary>Gets the SHA-256 of the key, lower-case hex.</summary>
    public required string Hash { get; init; }

    /// <summary>Gets the key's first characters, to tell keys apart in listings (e.g. <c>lgw-3fA9</c>).</summary>
    public string? Prefix { get; init; }

    /// <summary>Gets where the key comes from: <c>admin</c> or <c>config</c>.</summary>
    public string Source { get; init; } = "admin";

    /// <summary>Gets when the key was created.</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Gets when the key was last changed.</summary>
    public DateTimeOffset? UpdatedAt { get; init; }

    /// <summary>Gets when the key was revoked, or null.</summary>
    public DateTimeOffset? RevokedAt { get; init; }

    /// <summary>Gets when the key stops working, or null.</summary>
    public DateTimeOffset? ExpiresAt { get; init; }

    /// <summary>Gets the models the key may call (patterns as in configuration); empty: any.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1002:Do not expose generic lists", Justification = "A plain data record, serialized by stores.")]
    public List<string> AllowedModels { get; init; } = [];

    /// <summary>Gets the requests per minute, or null for none.</summary>
    public int? RequestsPerMinute { get; init; }

    /// <summary>Gets the tokens per minute, or null for none.</summary>
    public int? TokensPerMinute { get; init; }

    /// <summary>Gets the limits per model.</summary>
    public Dictionary<string, ModelLimitOptions> ModelLimits { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets the rate-limit strategy, or null for the configured default.</summary>
    public RateLimitStrategy? Strategy { get; init; }

    /// <summary>Gets the budget.</summary>
    public BudgetOptions Budget { get; init; } = new();

    /// <summary>Gets the provider keys by provider instance name, each encrypted by the
    /// <see cref="IProviderKeyProtector"/>; used instead of the instance's configured key for this key's calls.</summary>
    public Dictionary<string, string> ProviderKeys { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets a value indicating whether the key was revoked.</summary>
    [JsonIgnore]
    public bool IsRevoked => RevokedAt is not null;
}
