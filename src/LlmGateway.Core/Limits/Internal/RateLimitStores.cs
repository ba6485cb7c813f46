using System.Runtime.InteropServices;

namespace LlmGateway.Internal;

/// <summary>
/// The rate-limit counters of one process, under one lock: a request's work under it is a few dictionary look-ups and
/// integer arithmetic (well under a microsecond), so one lock costs less than ordering striped locks for the
/// all-or-nothing check across buckets would. Buckets are forgotten once they read as fresh again
/// (<see cref="RateLimitMath.ExpiresAtMs"/>: at most two minutes after their last use, or when a token bucket is full),
/// by a sweep that an acquisition runs at most once a minute, so there is no timer.
/// </summary>
internal sealed class MemoryRateLimitStore : IRateLimitStore
{
    private readonly TimeProvider _timeProvider;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private Entry[] _scratch = new Entry[4];
    private long _lastNowMs;
    private long _nextSweepMs;

    public MemoryRateLimitStore(TimeProvider timeProvider)
    {
        _timeProvider = timeProvider;
    }

    /// <summary>Gets how many buckets are held, for tests of the eviction.</summary>
    internal int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    public ValueTask<LimitOutcome> AcquireAsync(RateLimitStrategy strategy, IReadOnlyList<LimitBucket> buckets, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Acquire(strategy, buckets));

    public ValueTask SettleAsync(RateLimitStrategy strategy, string bucket, long limit, long delta, long windowId, CancellationToken cancellationToken)
    {
        Settle(strategy, bucket, limit, delta, windowId);
        return ValueTask.CompletedTask;
    }

    /// <summary>Takes each bucket's amount in turn; when one refuses, gives back what was taken before it, exactly
    /// (which also counts a bucket named twice twice).</summary>
    internal LimitOutcome Acquire(RateLimitStrategy strategy, IReadOnlyList<LimitBucket> buckets)
    {
        var count = buckets.Count;
        var states = new BucketState[count];
        var windowIds = new long[count];
        var refused = -1;
        var retryAfterMs = 0L;
        lock (_lock)
        {
            var now = Now();
            if (now >= _nextSweepMs)
            {
                Sweep(now);
            }

            if (_scratch.Length < count)
            {
                _scratch = new Entry[Math.Max(count, _scratch.Length * 2)];
            }

            var entries = _scratch;
            for (var i = 0; i < count; i++)
            {
                var bucket = buckets[i];
                var entry = GetOrAdd(bucket.Name);
                entries[i] = entry;
                RateLimitMath.Advance(strategy, ref entry.Counter, now, bucket.Limit);
                if (refused >= 0)
                {
                    continue; // only brought up to date, for its state
                }

                if (RateLimitMath.Fits(strategy, entry.Counter, now, bucket.Limit, bucket.Amount))
                {
                    RateLimitMath.Take(strategy, ref entry.Counter, bucket.Amount);
                }
                else
                {
                    refused = i;
                    retryAfterMs = RateLimitMath.RetryAfterMs(strategy, entry.Counter, now, bucket.Limit, bucket.Amount);
                }
            }

            for (var i = refused - 1; i >= 0; i--)
            {
                RateLimitMath.Untake(strategy, ref entries[i].Counter, buckets[i].Amount);
            }

            for (var i = 0; i < count; i++)
            {
                var entry = entries[i];
                var limit = buckets[i].Limit;
                states[i] = RateLimitMath.StateOf(strategy, entry.Counter, now, limit);
                windowIds[i] = RateLimitMath.WindowIdOf(strategy, entry.Counter);
                if (refused < 0)
                {
                    entry.ExpiresAtMs = RateLimitMath.ExpiresAtMs(strategy, entry.Counter, now, limit);
                }
            }

            Array.Clear(entries, 0, count);
        }

        return new LimitOutcome
        {
            Allowed = refused < 0,
            RefusedIndex = refused,
            RetryAfter = TimeSpan.FromMilliseconds(retryAfterMs),
            States = states,
            WindowIds = windowIds,
        };
    }

    internal void Settle(RateLimitStrategy strategy, string bucket, long limit, long delta, long windowId)
    {
        if (delta == 0)
        {
            return;
        }

        lock (_lock)
        {
            if (!_entries.TryGetValue(bucket, out var entry))
            {
                if (delta < 0)
                {
                    return; // a fresh bucket holds nothing to give back
                }

                entry = GetOrAdd(bucket);
            }

            var now = Now();
            RateLimitMath.Settle(strategy, ref entry.Counter, now, limit, delta, windowId);
            entry.ExpiresAtMs = RateLimitMath.ExpiresAtMs(strategy, entry.Counter, now, limit);
        }
    }

    /// <summary>The clock, never going back within the store: a thread that read the time before another but took the
    /// lock after it must not roll a window back.</summary>
    private long Now()
    {
        var now = _timeProvider.GetUtcNow().ToUnixTimeMilliseconds();
        if (now < _lastNowMs)
        {
            return _lastNowMs;
        }

        _lastNowMs = now;
        return now;
    }

    private Entry GetOrAdd(string name)
    {
        ref var entry = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, name, out _);
        return entry ??= new Entry();
    }

    private void Sweep(long now)
    {
        foreach (var (name, entry) in _entries)
        {
            if (entry.ExpiresAtMs <= now)
            {
                _entries.Remove(name); // allowed while enumerating a Dictionary
            }
        }

        _nextSweepMs = now + RateLimitMath.WindowMs;
    }

    private sealed class Entry
    {
        public RateLimitCounter Counter;

        /// <summary>When the bucket reads as fresh; 0 for one only ever looked at (by a refused request).</summary>
        public long ExpiresAtMs;
    }
}
