namespace LlmGateway.Internal;

/// <summary>
/// One bucket's stored counts. Fixed and sliding windows share <see cref="Window"/>, <see cref="Current"/> and
/// <see cref="Previous"/> (so switching between them keeps the meaning); the token bucket keeps its own level.
/// A default value is a fresh bucket: no counts, a full token bucket.
/// </summary>
internal struct RateLimitCounter
{
    /// <summary>The window <see cref="Current"/> counts, in minutes since the Unix epoch.</summary>
    public long Window;

    /// <summary>What was taken in <see cref="Window"/>; never negative.</summary>
    public long Current;

    /// <summary>What was taken in the window before <see cref="Window"/>; never negative.</summary>
    public long Previous;

    /// <summary>The token bucket's level scaled by <see cref="RateLimitMath.WindowMs"/> (tokens × 60 000), so the
    /// refill of <c>limit</c> per minute is exactly <c>limit</c> per millisecond and all the arithmetic stays in
    /// integers, which the Redis script reproduces bit for bit. Negative is a debt left by a settlement.</summary>
    public long Level;

    /// <summary>When <see cref="Level"/> was last brought up to date (Unix milliseconds).</summary>
    public long LevelAtMs;

    /// <summary>Whether <see cref="Level"/> is set; an unset level is a full bucket.</summary>
    public bool HasLevel;
}

/// <summary>
/// The arithmetic of the three strategies over one <see cref="RateLimitCounter"/>, in integer milliseconds. The
/// memory store runs it under its lock; the Redis store's Lua script mirrors it line for line (keep them in step).
/// Every value stays below 2^53, so Lua's doubles compute exactly what these longs do.
/// </summary>
/// <remarks>
/// <para>W = 60 000 ms, w = ⌊now / W⌋, e = now − w·W (elapsed in the current window).</para>
/// <para><b>Fixed window.</b> c = count of window w. Allowed when c + amount ≤ limit. Remaining = max(0, limit − c).
/// ResetAfter = (w+1)·W − now if c &gt; 0, else 0. RetryAfter = (w+1)·W − now.</para>
/// <para><b>Sliding window.</b> p, c = counts of windows w−1 and w; weighted = p·(W − e)/W + c, compared scaled by W
/// (S = p·(W − e) + c·W) so it is exact. Allowed when S + amount·W ≤ limit·W. Remaining = ⌊(limit·W − S)/W⌋, at least 0.
/// ResetAfter (weighted back to 0 with no new requests) = (w+2)·W − now if c &gt; 0, else (w+1)·W − now if p &gt; 0,
/// else 0. RetryAfter is the first millisecond the amount fits as p's weight decays: still in window w if
/// R₁ = (limit − amount − c)·W ≥ 0, at e* = W − ⌊R₁/p⌋; otherwise in window w+1, where c has become the previous
/// count, at e* = max(0, W − ⌊(limit − amount)·W / c⌋) into it.</para>
/// <para><b>Token bucket.</b> Capacity limit tokens, refilled continuously at limit per W; in scaled units
/// (L = tokens·W) the refill is limit per millisecond, so L = min(limit·W, L + elapsed·limit). Allowed when
/// L ≥ amount·W. Remaining = ⌊L/W⌋, at least 0. ResetAfter = ⌈(limit·W − L)/limit⌉ ms.
/// RetryAfter = ⌈(amount·W − L)/limit⌉ ms. Window id 0.</para>
/// <para>An amount over the limit can never fit: it is refused with RetryAfter = one window (60 s), a bound that keeps
/// a client from retrying in a loop; it will be refused again.</para>
/// <para><b>Settle(delta).</b> Windows: delta is added to the count of the window the amount was taken from, if that is
/// still w or w−1 (else ignored), clamped at 0. Token bucket: L −= delta·W, clamped at the capacity; it may go
/// negative, a debt that delays the next requests.</para>
/// </remarks>
internal static class RateLimitMath
{
    /// <summary>Every window is one minute.</summary>
    public const long WindowMs = 60_000;

    /// <summary>Brings the counter up to <paramref name="nowMs"/>: rolls the windows or refills the bucket. It changes
    /// the stored values, never their meaning, so it may run on a request that is then refused.</summary>
    public static void Advance(RateLimitStrategy strategy, ref RateLimitCounter counter, long nowMs, long limit)
    {
        if (strategy == RateLimitStrategy.TokenBucket)
        {
            Refill(ref counter, nowMs, limit);
            return;
        }

        var window = nowMs / WindowMs;
        if (counter.Window != window)
        {
            counter.Previous = counter.Window == window - 1 ? counter.Current : 0;
            counter.Current = 0;
            counter.Window = window;
        }
    }

    /// <summary>Whether <paramref name="amount"/> fits now (after <see cref="Advance"/>).</summary>
    public static bool Fits(RateLimitStrategy strategy, in RateLimitCounter counter, long nowMs, long limit, long amount) => strategy switch
    {
        RateLimitStrategy.TokenBucket => counter.Level >= amount * WindowMs,
        RateLimitStrategy.FixedWindow => counter.Current + amount <= limit,
        _ => SlidingScaled(counter, nowMs) + (amount * WindowMs) <= limit * WindowMs,
    };

    /// <summary>Takes <paramref name="amount"/>.</summary>
    public static void Take(RateLimitStrategy strategy, ref RateLimitCounter counter, long amount)
    {
        if (strategy == RateLimitStrategy.TokenBucket)
        {
            counter.Level -= amount * WindowMs;
        }
        else
        {
            counter.Current += amount;
        }
    }

    /// <summary>Gives back what <see cref="Take"/> took, exactly, when another bucket of the request refuses.</summary>
    public static void Untake(RateLimitStrategy strategy, ref RateLimitCounter counter, long amount) => Take(strategy, ref counter, -amount);

    /// <summary>How long until <paramref name="amount"/> fits, in milliseconds, when it does not fit now.</summary>
    public static long RetryAfterMs(RateLimitStrategy strategy, in RateLimitCounter counter, long nowMs, long limit, long amount)
    {
        if (amount > limit)
        {
            return WindowMs;
        }

        if (strategy == RateLimitStrategy.TokenBucket)
        {
            return limit <= 0 ? WindowMs : CeilDiv((amount * WindowMs) - counter.Level, limit);
        }

        var windowEnd = (counter.Window + 1) * WindowMs;
        if (strategy == RateLimitStrategy.FixedWindow)
        {
            return windowEnd - nowMs;
        }

        var elapsed = nowMs - (counter.Window * WindowMs);
        var room = (limit - amount - counter.Current) * WindowMs;
        if (room >= 0 && counter.Previous > 0)
        {
            // Still this window: the previous window's share decays until p·(W − e) ≤ room.
            return WindowMs - (room / counter.Previous) - elapsed;
        }

        // Next window: the current count becomes the previous one and decays until c·(W − e) ≤ (limit − amount)·W.
        var intoNext = counter.Current > 0 ? Math.Max(0, WindowMs - ((limit - amount) * WindowMs / counter.Current)) : 0;
        return windowEnd + intoNext - nowMs;
    }

    /// <summary>The bucket's state for the response headers.</summary>
    public static BucketState StateOf(RateLimitStrategy strategy, in RateLimitCounter counter, long nowMs, long limit)
    {
        long remaining;
        long resetAfter;
        switch (strategy)
        {
            case RateLimitStrategy.TokenBucket:
                remaining = counter.Level > 0 ? counter.Level / WindowMs : 0;
                resetAfter = TokenBucketFullAfterMs(counter, limit);
                break;
            case RateLimitStrategy.FixedWindow:
                remaining = Math.Max(0, limit - counter.Current);
                resetAfter = counter.Current > 0 ? ((counter.Window + 1) * WindowMs) - nowMs : 0;
                break;
            default:
                var free = (limit * WindowMs) - SlidingScaled(counter, nowMs);
                remaining = free > 0 ? free / WindowMs : 0;
                resetAfter = counter.Current > 0 ? ((counter.Window + 2) * WindowMs) - nowMs
                    : counter.Previous > 0 ? ((counter.Window + 1) * WindowMs) - nowMs
                    : 0;
                break;
        }

        return new BucketState(limit, remaining, TimeSpan.FromMilliseconds(resetAfter));
    }

    /// <summary>The window the amount was taken from, for <see cref="Settle"/>; 0 for token buckets.</summary>
    public static long WindowIdOf(RateLimitStrategy strategy, in RateLimitCounter counter) =>
        strategy == RateLimitStrategy.TokenBucket ? 0 : counter.Window;

    /// <summary>Applies a settlement (see the class remarks); never refused.</summary>
    public static void Settle(RateLimitStrategy strategy, ref RateLimitCounter counter, long nowMs, long limit, long delta, long windowId)
    {
        Advance(strategy, ref counter, nowMs, limit);
        if (strategy == RateLimitStrategy.TokenBucket)
        {
            counter.Level = Math.Min(limit * WindowMs, counter.Level - (delta * WindowMs));
        }
        else if (windowId == counter.Window)
        {
            counter.Current = Math.Max(0, counter.Current + delta);
        }
        else if (windowId == counter.Window - 1)
        {
            counter.Previous = Math.Max(0, counter.Previous + delta);
        }
    }

    /// <summary>When the counter reads as a fresh one (and can be forgotten): after the next window for windows (both
    /// counts have aged out), when full again for a token bucket. The Redis keys' expiry is the same instant.</summary>
    public static long ExpiresAtMs(RateLimitStrategy strategy, in RateLimitCounter counter, long nowMs, long limit) =>
        strategy == RateLimitStrategy.TokenBucket
            ? nowMs + TokenBucketFullAfterMs(counter, limit)
            : (counter.Window + 2) * WindowMs;

    private static void Refill(ref RateLimitCounter counter, long nowMs, long limit)
    {
        var capacity = limit * WindowMs;
        if (!counter.HasLevel)
        {
            counter.Level = capacity;
            counter.LevelAtMs = nowMs;
            counter.HasLevel = true;
            return;
        }

        if (nowMs > counter.LevelAtMs)
        {
            if (counter.Level < capacity && limit > 0)
            {
                // Compared in milliseconds so that a long idle time cannot overflow elapsed·limit.
                var elapsed = nowMs - counter.LevelAtMs;
                counter.Level = elapsed >= CeilDiv(capacity - counter.Level, limit) ? capacity : counter.Level + (elapsed * limit);
            }

            counter.LevelAtMs = nowMs;
        }

        if (counter.Level > capacity)
        {
            counter.Level = capacity; // the limit was lowered
        }
    }

    private static long TokenBucketFullAfterMs(in RateLimitCounter counter, long limit)
    {
        var missing = (limit * WindowMs) - counter.Level;
        return missing > 0 && limit > 0 ? CeilDiv(missing, limit) : 0;
    }

    private static long SlidingScaled(in RateLimitCounter counter, long nowMs) =>
        (counter.Previous * (WindowMs - (nowMs - (counter.Window * WindowMs)))) + (counter.Current * WindowMs);

    /// <summary>⌈a / b⌉ for a &gt; 0, b &gt; 0.</summary>
    private static long CeilDiv(long a, long b) => (a + b - 1) / b;
}
