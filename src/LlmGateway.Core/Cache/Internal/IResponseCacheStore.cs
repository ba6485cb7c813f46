namespace LlmGateway.Internal;

/// <summary>What is known of an entry besides its blob, for purges.</summary>
/// <param name="Key">The full cache key (<c>v1:&lt;partition&gt;:&lt;strategy&gt;:&lt;hash&gt;</c>).</param>
/// <param name="Model">The upstream model that answered.</param>
/// <param name="Provider">The provider instance that answered.</param>
/// <param name="CreatedAt">When it was stored.</param>
internal readonly record struct CacheEntryInfo(string Key, string Model, string Provider, DateTimeOffset CreatedAt);

/// <summary>Which entries a purge removes: those matching every criterion given (none given: all).</summary>
/// <param name="Model">The upstream model, exactly (case-insensitive).</param>
/// <param name="Provider">The provider instance, exactly (case-insensitive).</param>
/// <param name="KeyPrefix">A prefix of the full cache key (ordinal), e.g. <c>v1:team-a:</c> for one caller's entries.</param>
/// <param name="OlderThan">Entries stored longer ago than this.</param>
internal sealed record CachePurge(string? Model = null, string? Provider = null, string? KeyPrefix = null, TimeSpan? OlderThan = null)
{
    public bool Matches(CacheEntryInfo info, DateTimeOffset now) =>
        (Model is null || string.Equals(Model, info.Model, StringComparison.OrdinalIgnoreCase))
        && (Provider is null || string.Equals(Provider, info.Provider, StringComparison.OrdinalIgnoreCase))
        && (KeyPrefix is null || info.Key.StartsWith(KeyPrefix, StringComparison.Ordinal))
        && (OlderThan is null || now - info.CreatedAt > OlderThan.Value);
}

/// <summary>
/// Where cache entries live: memory (size-bounded, least recently used first), and with <c>LlmGateway:Redis</c> set,
/// Redis behind it, shared by every instance. Redis being down is a miss (reads) or nothing (writes), never an error.
/// </summary>
internal interface IResponseCacheStore
{
    /// <summary>The entry's blob and its remaining lifetime, or null.</summary>
    ValueTask<(byte[] Blob, TimeSpan Remaining)?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores an entry for <paramref name="ttl"/>.</summary>
    ValueTask SetAsync(CacheEntryInfo info, byte[] blob, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Removes matching entries here, in Redis, and in every other instance's memory; returns how many were
    /// removed (from Redis when it is configured, else from memory).</summary>
    ValueTask<long> PurgeAsync(CachePurge purge, CancellationToken cancellationToken);
}
