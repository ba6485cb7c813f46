namespace LlmGateway;

/// <summary>Which response-cache entries <see cref="ILlmGatewayCache.PurgeAsync"/> removes: those matching every
/// criterion set; with none set, every entry.</summary>
public sealed class CachePurgeFilter
{
    /// <summary>Gets the upstream model that answered, matched exactly (case-insensitive); null for any.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the provider instance that answered, matched exactly (case-insensitive); null for any.</summary>
    public string? Provider { get; init; }

    /// <summary>Gets a prefix of the cache key (ordinal), such as <c>v1:team-a:</c> for one caller's entries; null for any.</summary>
    public string? KeyPrefix { get; init; }

    /// <summary>Gets an age: only entries stored longer ago than this match; null for any age.</summary>
    public TimeSpan? OlderThan { get; init; }
}
