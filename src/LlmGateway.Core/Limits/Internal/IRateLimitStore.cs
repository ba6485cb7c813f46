namespace LlmGateway.Internal;

/// <summary>One counter a request is checked against, e.g. <c>key_1:rpm</c> or <c>key_1:gpt-4o:tpm</c>.</summary>
/// <param name="Name">The bucket's name, unique per key, model and unit.</param>
/// <param name="Limit">The limit per minute.</param>
/// <param name="Amount">What this request takes from it: 1 for requests, the reserved tokens for tokens.</param>
internal readonly record struct LimitBucket(string Name, long Limit, long Amount);

/// <summary>A bucket's state after a request was checked against it, for the <c>x-ratelimit-*</c> headers.</summary>
/// <param name="Limit">The limit per minute.</param>
/// <param name="Remaining">What is left now (never negative).</param>
/// <param name="ResetAfter">How long until the bucket is full again.</param>
internal readonly record struct BucketState(long Limit, long Remaining, TimeSpan ResetAfter);

/// <summary>What checking a request against its buckets gave.</summary>
internal sealed class LimitOutcome
{
    /// <summary>Whether the request may go; if not, nothing was taken from any bucket.</summary>
    public required bool Allowed { get; init; }

    /// <summary>The index of the first bucket that refused, or -1.</summary>
    public int RefusedIndex { get; init; } = -1;

    /// <summary>Each bucket's state, in the order the buckets were given.</summary>
    public required BucketState[] States { get; init; }

    /// <summary>When refused: how long until the refused bucket can take the amount.</summary>
    public TimeSpan RetryAfter { get; init; }

    /// <summary>Per bucket, the window the amount was taken from (fixed and sliding windows), so a later settlement
    /// adjusts that window and not a newer one. Opaque: pass them back to <see cref="IRateLimitStore.SettleAsync"/>
    /// unchanged (the Redis store marks what it counted in memory during an outage with negative ids).</summary>
    public required long[] WindowIds { get; init; }
}

/// <summary>
/// The rate-limit counters: in memory in one process, in Redis (atomic scripts) when <c>LlmGateway:Redis</c> is set,
/// so every instance counts against the same limits. Every window is one minute.
/// </summary>
internal interface IRateLimitStore
{
    /// <summary>Takes each bucket's amount, all or nothing.</summary>
    ValueTask<LimitOutcome> AcquireAsync(RateLimitStrategy strategy, IReadOnlyList<LimitBucket> buckets, CancellationToken cancellationToken);

    /// <summary>
    /// Corrects a bucket after the fact: <paramref name="delta"/> tokens more (positive) or fewer (negative) than were
    /// reserved. Applied to the window the reservation was taken from (<paramref name="windowId"/>) if it still counts;
    /// never refused, so a bucket may end up over its limit, which delays the next requests instead.
    /// </summary>
    ValueTask SettleAsync(RateLimitStrategy strategy, string bucket, long limit, long delta, long windowId, CancellationToken cancellationToken);
}
