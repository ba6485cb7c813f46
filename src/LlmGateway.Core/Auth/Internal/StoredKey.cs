using System.Text.Json.Serialization;

namespace LlmGateway.Internal;

/// <summary>
/// A gateway key as the key store keeps it: its SHA-256 hash (never the key), its policy, and the provider keys it
/// carries, encrypted with Data Protection. Keys from configuration are represented the same way (source
/// <c>config</c>) but live only in memory, rebuilt from each configuration snapshot.
/// </summary>
internal sealed class StoredKey
{
    /// <summary>The id: <c>key_…</c> for keys created through the admin API, the configured name for configured ones.
    /// Usage is counted under it.</summary>
    public required string Id { get; init; }

    public string? Name { get; init; }

    /// <summary>SHA-256 of the key, lower-case hex.</summary>
    public required string Hash { get; init; }

    /// <summary>The key's first characters, to tell keys apart in listings (e.g. <c>lgw-3fA9</c>).</summary>
    public string? Prefix { get; init; }

    /// <summary><c>admin</c> or <c>config</c>.</summary>
    public string Source { get; init; } = "admin";

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    public DateTimeOffset? RevokedAt { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public List<string> AllowedModels { get; init; } = [];

    public int? RequestsPerMinute { get; init; }

    public int? TokensPerMinute { get; init; }

    public Dictionary<string, ModelLimitOptions> ModelLimits { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public RateLimitStrategy? Strategy { get; init; }

    public BudgetOptions Budget { get; init; } = new();

    /// <summary>Provider keys by provider instance name, each protected with Data Protection (purpose
    /// <c>LlmGateway.ProviderKeys.v1</c>); used instead of the instance's configured key for this key's calls.</summary>
    public Dictionary<string, string> ProviderKeys { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    [JsonIgnore]
    public bool IsRevoked => RevokedAt is not null;
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(StoredKey))]
[JsonSerializable(typeof(List<StoredKey>))]
internal sealed partial class StoredKeyJsonContext : JsonSerializerContext;
