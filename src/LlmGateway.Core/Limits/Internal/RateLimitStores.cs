namespace LlmGateway.Internal;

/// <summary>STUB: implemented by the rate-limit work.</summary>
internal sealed class MemoryRateLimitStore : IRateLimitStore
{
    public ValueTask<LimitOutcome> AcquireAsync(RateLimitStrategy strategy, IReadOnlyList<LimitBucket> buckets, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask SettleAsync(RateLimitStrategy strategy, string bucket, long limit, long delta, long windowId, CancellationToken cancellationToken) => throw new NotImplementedException();
}

/// <summary>STUB: implemented by the rate-limit work.</summary>
internal sealed class RedisRateLimitStore : IRateLimitStore
{
    public ValueTask<LimitOutcome> AcquireAsync(RateLimitStrategy strategy, IReadOnlyList<LimitBucket> buckets, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask SettleAsync(RateLimitStrategy strategy, string bucket, long limit, long delta, long windowId, CancellationToken cancellationToken) => throw new NotImplementedException();
}
