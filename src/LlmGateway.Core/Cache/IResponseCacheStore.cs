namespace LlmGateway;

/// <summary>What is known of a cache entry besides its blob, for purges.</summary>
/// <param name="Key">The full cache key (<c>v1:&lt;partition&gt;:&lt;strategy&gt;:&lt;hash&gt;</c>).</param>
/// <param name="Model">The upstream model that answered.</param>
/// <param name="Provider">The provider instance that answered.</param>
/// <param name="CreatedAt">When it was stored.</param>
public readonly record struct CacheEntryInfo(string Key, string Model, string Provider, DateTimeOffset CreatedAt);

/// <summary>Which entries a purge removes: those matching every criterion given (none given: all).</summary>
/// <param name="Model">The upstream model, exactly (case-insensitive).</param>
/// <param name="Provider">The provider instance, exactly (case-insensitive).</param>
/// <param name="KeyPrefix">A prefix of the full cache key (ordinal), e.g. <c>v1:team-a:</c> for one caller's entries.</param>
/// <param name="OlderThan">Entries stored longer ago than this.</param>
public sealed record CachePurge(string? Model = null, string? Provider = null, string? KeyPrefix = null, TimeSpan? OlderThan = null)
{
    /// <summary>Tells whether an entry matches every criterion given.</summary>
    /// <param name="info">The entry.</param>
    /// <param name="now">The current time, for <see cref="OlderThan"/>.</param>
    /// <returns>Whether the purge removes the entry.</returns>
    public bool Matches(CacheEntryInfo info, DateTimeOffset now) =>
        (Model is null || string.Equals(Model, info.Model, StringComparison.OrdinalIgnoreCase))
        && (Provider is null || string.Equals(Provider, info.Provider, StringComparison.OrdinalIgnoreCase))
        && (KeyPrefix is null || info.Key.StartsWith(KeyPrefix, StringComparison.Ordinal))
        && (OlderThan is null || now - info.CreatedAt > OlderThan.Value);
}

/// <summary>
/// Where the response cache keeps its entries: opaque blobs by key, each with a lifetime.
/// </summary>
/// <remarks>
/// <para>The default store is this process's memory, bounded by <c>LlmGateway:Cache:MemoryLimitBytes</c>;
/// <c>LlmGateway.Redis</c>'s <c>AddRedis()</c> puts Redis behind it, shared by every instance. Register your own
/// implementation as a singleton to cache elsewhere; the gateway adds its default only when none is registered.</para>
/// <para>An implementation must be thread-safe. A cache is an optimisation: a storage that is away is a miss (reads)
/// or nothing (writes), never an exception. Returned blobs are not changed by the gateway; a store may return the
/// stored array itself.</para>
/// </remarks>
public interface IResponseCacheStore
{
    /// <summary>Gets an entry's blob and its remaining lifetime.</summary>
    /// <param name="key">The full cache key.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The blob and remaining lifetime, or null on a miss.</returns>
    ValueTask<(byte[] Blob, TimeSpan Remaining)?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores an entry for <paramref name="ttl"/>, replacing any entry of the same key.</summary>
    /// <param name="info">The entry's key and what purges match on.</param>
    /// <param name="blob">The entry.</param>
    /// <param name="ttl">How long it lives.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>A task that completes when the entry is stored (or dropped).</returns>
    ValueTask SetAsync(CacheEntryInfo info, byte[] blob, TimeSpan ttl, CancellationToken cancellationToken);

    /// <summary>Removes matching entries, everywhere the store keeps them (a shared store tells every instance).</summary>
    /// <param name="purge">Which entries.</param>
    /// <param name="cancellationToken">Cancels the purge.</param>
    /// <returns>How many entries were removed (from the shared storage, when there is one).</returns>
    ValueTask<long> PurgeAsync(CachePurge purge, CancellationToken cancellationToken);
}
