namespace LlmGateway.Internal;

/// <summary>
/// The callers a circuit holds back on their own (<see cref="CircuitScope"/>): each until a time. Bounded to
/// <see cref="Capacity"/> entries: when full, the entry that ends first makes room. Not thread-safe: its circuit calls
/// it under its own lock.
/// </summary>
/// <remarks>
/// An entry outlives its break until the caller's next outcome: a success releases it (and the circuit forgets that
/// caller's failures), a failure holds the caller back again at once, as a failed probe does for a whole circuit.
/// An entry whose caller never comes back is dropped once it has been over for <see cref="Linger"/>.
/// </remarks>
internal sealed class CallerBreaks
{
    /// <summary>The most callers held back (or just released) at once per circuit.</summary>
    public const int Capacity = 16;

    /// <summary>How long an entry whose break is over waits for its caller's next outcome.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromMinutes(1);

    private (string Caller, DateTimeOffset Until)[]? _entries;
    private int _count;

    /// <summary>Gets the number of entries, held back now or waiting for their caller's next outcome.</summary>
    public int Count => _count;

    /// <summary>Whether <paramref name="caller"/> is held back at <paramref name="now"/>.</summary>
    public bool IsHeld(string caller, DateTimeOffset now) => Find(caller) is var i && i >= 0 && now < _entries![i].Until;

    /// <summary>How long <paramref name="caller"/> is still held back; zero when it is not.</summary>
    public TimeSpan Left(string caller, DateTimeOffset now) =>
        Find(caller) is var i && i >= 0 && _entries![i].Until > now ? _entries[i].Until - now : TimeSpan.Zero;

    /// <summary>Whether <paramref name="caller"/> has an entry whose break is over: its next outcome decides.</summary>
    public bool IsOver(string caller, DateTimeOffset now) => Find(caller) is var i && i >= 0 && now >= _entries![i].Until;

    /// <summary>Holds <paramref name="caller"/> back until <paramref name="until"/> (never shortens a break).</summary>
    public void Hold(string caller, DateTimeOffset until, DateTimeOffset now)
    {
        var i = Find(caller);
        if (i >= 0)
        {
            if (until > _entries![i].Until || _entries[i].Until <= now)
            {
                _entries[i].Until = until;
            }

            return;
        }

        Prune(now);
        _entries ??= new (string, DateTimeOffset)[Capacity];
        if (_count == Capacity)
        {
            var first = 0;
            for (var j = 1; j < _count; j++)
            {
                if (_entries[j].Until < _entries[first].Until)
                {
                    first = j;
                }
            }

            _entries[first] = (caller, until);
            return;
        }

        _entries[_count++] = (caller, until);
    }

    /// <summary>Drops <paramref name="caller"/>'s entry; returns whether it had one.</summary>
    public bool Release(string caller)
    {
        var i = Find(caller);
        if (i < 0)
        {
            return false;
        }

        _entries![i] = _entries[--_count];
        _entries[_count] = default;
        return true;
    }

    /// <summary>The number of callers held back at <paramref name="now"/>, and the latest end of their breaks.</summary>
    public (int Held, DateTimeOffset Until) Active(DateTimeOffset now)
    {
        var held = 0;
        var latest = DateTimeOffset.MinValue;
        for (var i = 0; i < _count; i++)
        {
            if (now < _entries![i].Until)
            {
                held++;
                latest = _entries[i].Until > latest ? _entries[i].Until : latest;
            }
        }

        return (held, latest);
    }

    /// <summary>Drops the entries whose break has been over for longer than <see cref="Linger"/>.</summary>
    public void Prune(DateTimeOffset now)
    {
        for (var i = _count - 1; i >= 0; i--)
        {
            if (now - _entries![i].Until > Linger)
            {
                _entries[i] = _entries[--_count];
                _entries[_count] = default;
            }
        }
    }

    private int Find(string caller)
    {
        for (var i = 0; i < _count; i++)
        {
            var entry = _entries![i].Caller;
            if (ReferenceEquals(entry, caller) || string.Equals(entry, caller, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
