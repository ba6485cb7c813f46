namespace LlmGateway;

/// <summary>One counter a request is checked against, e.g. <c>key_1:rpm</c> or <c>key_1:gpt-4o:tpm</c>.</summary>
/// <param name="Name">The bucket's name, unique per key, model and unit.</param>
/// <param name="Limit">The limit per minute.</param>
/// <param name="Amount">What this request takes from it: 1 for requests, the reserved tokens for tokens.</param>
public readonly record struct LimitBucket(string Name, long Limit, long Amount);

/// <summary>A bucket's state after a request was checked against it, for the <c>x-ratelimit-*</c> headers.</summary>
/// <param name="Limit">The limit per minute.</param>
/// <param name="Remaining">What is left now (never negative).</param>
/// <param name="ResetAfter">How long until the bucket is full again.</param>
public readonly record struct BucketState(long Limit, long Remaining, TimeSpan ResetAfter);

/// <summary>What checking a request against its buckets gave.</summary>
public sealed class LimitOutcome
{
    /// <summary>Gets a value indicating whether the request may go; if not, nothing was taken from any bucket.</summary>
    public required bool Allowed { get; init; }

    /// <summary>Gets the index of the first bucket that refused, or -1.</summary>
    public int RefusedIndex { get; init; } = -1;

    /// <summary>Gets each bucket's state, in the order the buckets were given.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819:Properties should not return arrays", Justification = "One per bucket, made per request: a result record, not state.")]
    public required BucketState[] States { get; init; }

    /// <summary>Gets, when refused, how long until the refused bucket can take the amount.</summary>
    public TimeSpan RetryAfter { get; init; }

    /// <summary>Gets, per bucket, an id of the window the amount was taken from, so a later
    /// <see cref="IRateLimitStore.SettleAsync"/> adjusts that window and not a newer one. Opaque to the gateway, which
    /// passes them back unchanged; a store that keeps no windows returns zeros.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1819:Properties should not return arrays", Justification = "One per bucket, made per request: a result record, not state.")]
    public required long[] WindowIds { get; init; }
}

/// <summary>
/// The rate-limit counters. Every window is one minute; <see cref="RateLimitStrategy"/> says how a bucket fills and
/// drains.
/// </summary>
/// <remarks>
/// <para>The default store is this process's memory; <c>LlmGateway.Redis</c>'s <c>AddRedis()</c> makes every instance
/// count against the same limits (atomic scripts on Redis's clock). Register your own implementation as a singleton to
/// count elsewhere; the gateway adds its default only when none is registered.</para>
/// <para>An implementation must be thread-safe, and <see cref="AcquireAsync"/> atomic over all of a request's buckets:
/// two concurrent requests must not both take the last unit of a bucket, and a refused request takes nothing from any
/// bucket. Neither member should throw because its storage is away: count locally (the limits then hold per instance)
/// until it is back.</para>
/// </remarks>
public interface IRateLimitStore
{
    /// <summary>Takes each bucket's amount, all or nothing.</summary>
    /// <param name="strategy">How the buckets count.</param>
    /// <param name="buckets">The request's buckets, already computed from the key's policy.</param>
    /// <param name="cancellationToken">Cancels the acquisition, if it has not been made.</param>
    /// <returns>Whether the request may go, and every bucket's state.</returns>
    ValueTask<LimitOutcome> AcquireAsync(RateLimitStrategy strategy, IReadOnlyList<LimitBucket> buckets, CancellationToken cancellationToken);

    /// <summary>
    /// Corrects a bucket after the fact: <paramref name="delta"/> tokens more (positive) or fewer (negative) than were
    /// reserved. Applied to the window the reservation was taken from (<paramref name="windowId"/>) if it still counts;
    /// never refused, so a bucket may end up over its limit, which delays the next requests instead.
    /// </summary>
    /// <param name="strategy">How the bucket counts.</param>
    /// <param name="bucket">The bucket's <see cref="LimitBucket.Name"/>.</param>
    /// <param name="limit">The bucket's limit per minute.</param>
    /// <param name="delta">Tokens to add (positive) or give back (negative).</param>
    /// <param name="windowId">The bucket's <see cref="LimitOutcome.WindowIds"/> entry from the acquisition.</param>
    /// <param name="cancellationToken">Cancels the settlement.</param>
    /// <returns>A task that completes when the bucket is corrected.</returns>
    ValueTask SettleAsync(RateLimitStrategy strategy, string bucket, long limit, long delta, long windowId, CancellationToken cancellationToken);
}
