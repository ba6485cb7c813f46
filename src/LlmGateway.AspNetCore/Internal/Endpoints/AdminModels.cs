using System.Text.Json.Serialization;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>A gateway key as the admin API shows it: never its hash, never a provider key (only the instance names).</summary>
internal sealed class AdminKey
{
    public required string Id { get; init; }

    public string Object { get; } = "gateway.key";

    public string? Name { get; init; }

    public string? Prefix { get; init; }

    public required string Source { get; init; }

    public DateTimeOffset? CreatedAt { get; init; }

    public DateTimeOffset? UpdatedAt { get; init; }

    public DateTimeOffset? RevokedAt { get; init; }

    public DateTimeOffset? ExpiresAt { get; init; }

    public required IReadOnlyList<string> AllowedModels { get; init; }

    public int? RequestsPerMinute { get; init; }

    public int? TokensPerMinute { get; init; }

    public required IReadOnlyDictionary<string, ModelLimitOptions> ModelLimits { get; init; }

    public RateLimitStrategy? Strategy { get; init; }

    public required BudgetOptions Budget { get; init; }

    public required IReadOnlyList<string> ProviderKeys { get; init; }

    /// <summary>The plain key: only in the answer to a create or a rotation, the one time it is shown.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Key { get; init; }

    public static AdminKey From(StoredKey key, string? plainKey = null) => new()
    {
        Id = key.Id,
        Name = key.Name,
        Prefix = key.Prefix,
        Source = key.Source,
        CreatedAt = key.CreatedAt == default ? null : key.CreatedAt,
        UpdatedAt = key.UpdatedAt,
        RevokedAt = key.RevokedAt,
        ExpiresAt = key.ExpiresAt,
        AllowedModels = key.AllowedModels,
        RequestsPerMinute = key.RequestsPerMinute,
        TokensPerMinute = key.TokensPerMinute,
        ModelLimits = key.ModelLimits,
        Strategy = key.Strategy,
        Budget = key.Budget,
        ProviderKeys = [.. key.ProviderKeys.Keys.Order(StringComparer.OrdinalIgnoreCase)],
        Key = plainKey,
    };
}

internal sealed class AdminKeyList
{
    public string Object { get; } = "list";

    public required IReadOnlyList<AdminKey> Data { get; init; }
}

internal sealed class AdminUsage
{
    public string Object { get; } = "usage";

    /// <summary><c>day</c> or <c>month</c>.</summary>
    public required string Period { get; init; }

    /// <summary>The start of the period (UTC).</summary>
    public required DateTimeOffset Start { get; init; }

    public required AdminUsageTotals Totals { get; init; }

    public required IReadOnlyList<AdminUsageEntry> Data { get; init; }
}

internal sealed class AdminUsageTotals
{
    public long Requests { get; set; }

    public long PromptTokens { get; set; }

    public long CompletionTokens { get; set; }

    public long CachedTokens { get; set; }

    public long ReasoningTokens { get; set; }

    public long TotalTokens { get; set; }

    public decimal Cost { get; set; }
}

internal sealed class AdminUsageEntry
{
    public required string KeyId { get; init; }

    public required string Model { get; init; }

    public required string Provider { get; init; }

    public long Requests { get; init; }

    public long PromptTokens { get; init; }

    public long CompletionTokens { get; init; }

    public long CachedTokens { get; init; }

    public long ReasoningTokens { get; init; }

    public long TotalTokens { get; init; }

    public decimal Cost { get; init; }

    public long EstimatedRequests { get; init; }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, UseStringEnumConverter = true)]
[JsonSerializable(typeof(AdminKey))]
[JsonSerializable(typeof(AdminKeyList))]
[JsonSerializable(typeof(AdminUsage))]
internal sealed partial class AdminJsonContext : JsonSerializerContext;
