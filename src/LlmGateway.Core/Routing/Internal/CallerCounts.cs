namespace LlmGateway.Internal;

/// <summary>
/// The calls and failures, per bucket of a circuit's sliding window, of the callers that failed in it: what
/// <see cref="CircuitScope.ForEveryone"/> needs to tell one caller's failures from everyone's. Bounded to
/// <see cref="Capacity"/> callers: a caller's entry starts with its first failure (its successes before that count as
/// other callers'), and when all are taken the one with the fewest failures in the window makes room (its counts stay
/// in the circuit's totals, as other callers'). Not thread-safe: its circuit calls it under its own lock.
/// </summary>
internal sealed class CallerCounts(int buckets)
{
    /// <summary>The most callers followed per circuit.</summary>
    public const int Capacity = 8;

    private Entry[]? _entries;
    private int _count;

    /// <summary>Counts a call of <paramref name="caller"/> that ended in bucket <paramref name="bucket"/>.</summary>
    public void Record(string caller, int bucket, bool failed)
    {
        var entry = Find(caller);
        if (entry is null)
        {
            if (!failed)
            {
                return; // callers are followed from their first failure on
            }

            entry = Add(caller);
        }

        entry.Calls[bucket]++;
        if (failed)
        {
            entry.Failures[bucket]++;
        }
    }

    /// <summary>Empties bucket <paramref name="bucket"/> of every caller (it left the window).</summary>
    public void ClearBucket(int bucket)
    {
        for (var i = 0; i < _count; i++)
        {
            _entries![i].Calls[bucket] = 0;
            _entries[i].Failures[bucket] = 0;
        }
    }

    /// <summary>Forgets every caller.</summary>
    public void Clear()
    {
        Array.Clear(_entries ?? []);
        _count = 0;
    }

    /// <summary>The caller with the most failures in the window, with its calls and failures; null when none failed.</summary>
    public (string Caller, int Calls, int Failures)? Top()
    {
        (string, int, int)? top = null;
        var most = 0;
        for (var i = 0; i < _count; i++)
        {
            var failures = Sum(_entries![i].Failures);
            if (failures > most)
            {
                most = failures;
                top = (_entries[i].Caller, Sum(_entries[i].Calls), failures);
            }
        }

        return top;
    }

    /// <summary>Forgets <paramref name="caller"/>, handing back its counts per bucket so the circuit can take them out
    /// of its totals; null when it was not followed.</summary>
    public (int[] Calls, int[] Failures)? Forget(string caller)
    {
        for (var i = 0; i < _count; i++)
        {
            if (Is(_entries![i].Caller, caller))
            {
                var entry = _entries[i];
                _entries[i] = _entries[--_count];
                _entries[_count] = null!;
                return (entry.Calls, entry.Failures);
            }
        }

        return null;
    }

    private Entry? Find(string caller)
    {
        for (var i = 0; i < _count; i++)
        {
            if (Is(_entries![i].Caller, caller))
            {
                return _entries[i];
            }
        }

        return null;
    }

    private Entry Add(string caller)
    {
        _entries ??= new Entry[Capacity];
        if (_count < Capacity)
        {
            return _entries[_count++] = new Entry(caller, buckets);
        }

        // Full: reuse the entry with the fewest failures in the window (none, when some caller's have all left it).
        var fewest = 0;
        var least = int.MaxValue;
        for (var i = 0; i < _count; i++)
        {
            var failures = Sum(_entries[i].Failures);
            if (failures < least)
            {
                least = failures;
                fewest = i;
            }
        }

        var reused = _entries[fewest];
        reused.Caller = caller;
        Array.Clear(reused.Calls);
        Array.Clear(reused.Failures);
        return reused;
    }

    private static bool Is(string left, string right) => ReferenceEquals(left, right) || string.Equals(left, right, StringComparison.Ordinal);

    private static int Sum(int[] counts)
    {
        var sum = 0;
        foreach (var count in counts)
        {
            sum += count;
        }

        return sum;
    }

    private sealed class Entry(string caller, int buckets)
    {
        public string Caller { get; set; } = caller;

        public int[] Calls { get; } = new int[buckets];

        public int[] Failures { get; } = new int[buckets];
    }
}
