namespace LlmGateway.Internal;

/// <summary>STUB: implemented by the cache-store work.</summary>
internal sealed class TwoLevelCacheStore : IResponseCacheStore
{
    public ValueTask<(byte[] Blob, TimeSpan Remaining)?> GetAsync(string key, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask SetAsync(CacheEntryInfo info, byte[] blob, TimeSpan ttl, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask<long> PurgeAsync(CachePurge purge, CancellationToken cancellationToken) => throw new NotImplementedException();
}
