using System.Collections.Concurrent;

namespace LlmGateway.Internal;

/// <summary>Thrown by the upstream circuit (<see cref="UpstreamCircuitStrategy"/>) while an upstream's circuit is open, for everyone or for
/// the calling caller alone.</summary>
internal sealed class UpstreamCircuitOpenException(TimeSpan retryAfter, bool callerOnly)
    : HttpRequestException(callerOnly ? "The upstream failed on this caller's recent calls: its calls to it are paused." : "The upstream's circuit is open: calls to it are paused.")
{
    /// <summary>How long until the circuit lets the caller try again.</summary>
    public TimeSpan RetryAfter { get; } = retryAfter;

    /// <summary>Whether only this caller is held back (its own calls failed), not everyone.</summary>
    public bool CallerOnly { get; } = callerOnly;
}

/// <summary>
/// One circuit per upstream authority (scheme, host and port), shared by every provider instance that calls it: the
/// fail-fast for a model with one target, where the router's per-target circuits (<see cref="TargetHealth"/>) have
/// nothing else to send to.
/// </summary>
internal sealed class UpstreamCircuits(TimeProvider timeProvider)
{
    private readonly Lock _lock = new();
    private readonly TimeProvider _timeProvider = timeProvider;
    private ConcurrentDictionary<(string Scheme, string Host, int Port), UpstreamCircuit> _circuits = new();
    private UpstreamBreakerSettings _settings = UpstreamBreakerSettings.Default;

    /// <summary>The settings new circuits get.</summary>
    public UpstreamBreakerSettings Settings => Volatile.Read(ref _settings);

    public UpstreamCircuit For(Uri uri) =>
        Volatile.Read(ref _circuits).GetOrAdd((uri.Scheme, uri.IdnHost, uri.Port), static (_, self) => new UpstreamCircuit(self._timeProvider, self.Settings), this);

    /// <summary>Applies the breaker settings of a (re)built pipeline: when they differ from those in force, every
    /// circuit starts afresh with them (a window counted with other buckets or thresholds means nothing under new
    /// ones); the same settings keep the circuits as they are.</summary>
    public void Configure(UpstreamBreakerSettings settings)
    {
        lock (_lock)
        {
            if (settings == _settings)
            {
                return;
            }

            Volatile.Write(ref _settings, settings);
            Volatile.Write(ref _circuits, new ConcurrentDictionary<(string Scheme, string Host, int Port), UpstreamCircuit>());
        }
    }
}

/// <summary>The thresholds of an upstream circuit (<see cref="UpstreamResilienceOptions"/>).</summary>
internal sealed record UpstreamBreakerSettings(double FailureRatio, int MinimumThroughput, TimeSpan SamplingDuration, TimeSpan BreakDuration)
{
    public static readonly UpstreamBreakerSettings Default = From(new UpstreamResilienceOptions());

    public static UpstreamBreakerSettings From(UpstreamResilienceOptions options) =>
        new(options.FailureRatio, options.MinimumThroughput, options.SamplingDuration, options.BreakDuration);
}

/// <summary>What an outcome changed in a circuit, reported as a resilience event.</summary>
internal enum CircuitChange
{
    None,

    /// <summary>The circuit opened (or opened again after a failed probe) for everyone.</summary>
    Opened,

    /// <summary>A successful probe closed it.</summary>
    Closed,

    /// <summary>One caller is held back (or held again after its break).</summary>
    CallerHeld,

    /// <summary>A held-back caller's success let it go.</summary>
    CallerReleased,
}

/// <summary>
/// A circuit breaker over a sliding window: when at least <see cref="UpstreamBreakerSettings.MinimumThroughput"/> calls
/// in the last <see cref="UpstreamBreakerSettings.SamplingDuration"/> ended and at least
/// <see cref="UpstreamBreakerSettings.FailureRatio"/> of them failed, it trips for
/// <see cref="UpstreamBreakerSettings.BreakDuration"/>.
/// Whom it holds back is <see cref="CircuitScope"/>'s rule: everyone when the failures are spread over callers (then
/// one call is let through as a probe after the break: its success closes the circuit, its failure opens it again),
/// else only the caller with the most failures (its next outcome after the break decides the same way for it alone).
/// </summary>
/// <remarks>
/// The window is ten buckets of a tenth of the sampling duration each, so old outcomes leave it in steps rather than
/// all at once. One lock guards the state; it is held for a few arithmetic operations per call, plus a scan of the
/// few callers followed (<see cref="CallerCounts"/>, <see cref="CallerBreaks"/>) once any call has failed.
/// </remarks>
internal sealed class UpstreamCircuit(TimeProvider timeProvider, UpstreamBreakerSettings? settings = null)
{
    private const int Buckets = 10;

    private readonly int _minimumThroughput = (settings ?? UpstreamBreakerSettings.Default).MinimumThroughput;
    private readonly double _failureRatio = (settings ?? UpstreamBreakerSettings.Default).FailureRatio;
    private readonly TimeSpan _breakDuration = (settings ?? UpstreamBreakerSettings.Default).BreakDuration;
    private readonly long _bucketTicks = Math.Max(1, (settings ?? UpstreamBreakerSettings.Default).SamplingDuration.Ticks / Buckets);

    private readonly Lock _lock = new();
    private readonly int[] _calls = new int[Buckets];
    private readonly int[] _failures = new int[Buckets];
    private readonly CallerCounts _callers = new(Buckets);
    private readonly CallerBreaks _held = new();
    private long _bucket; // the index (time / bucket width) of the newest bucket written
    private DateTimeOffset? _openUntil;
    private volatile bool _open; // _openUntil is not null; read without the lock on every call
    private volatile bool _holding; // _held has entries; read without the lock on every call
    private bool _probing;

    /// <summary>Whether <paramref name="caller"/> alone is held back now (the circuit is not open for everyone).</summary>
    public bool IsHeld(string caller)
    {
        lock (_lock)
        {
            return _openUntil is null && _held.IsHeld(caller, timeProvider.GetUtcNow());
        }
    }

    /// <summary>How long until <paramref name="caller"/> may call again (a probe, or the end of its own break).</summary>
    public TimeSpan RetryAfter(string caller)
    {
        lock (_lock)
        {
            var now = timeProvider.GetUtcNow();
            var left = _openUntil is { } until ? until - now : _held.Left(caller, now);
            return left > TimeSpan.Zero ? left : _breakDuration;
        }
    }

    /// <summary>Whether a call of <paramref name="caller"/> may go now; when the break is over only the first caller
    /// gets to probe.</summary>
    public bool TryEnter(string caller)
    {
        if (!_open && !_holding)
        {
            return true; // the common case, read without the lock: a stale read lets one more call through
        }

        lock (_lock)
        {
            var now = timeProvider.GetUtcNow();
            if (_openUntil is not { } until)
            {
                return !_held.IsHeld(caller, now);
            }

            if (_probing || now < until)
            {
                return false;
            }

            _probing = true;
            return true;
        }
    }

    /// <summary>Records how a call of <paramref name="caller"/> ended, and says what that changed.</summary>
    public CircuitChange Record(string caller, bool failed)
    {
        lock (_lock)
        {
            var at = timeProvider.GetUtcNow();
            var change = CircuitChange.None;
            if (_probing)
            {
                _probing = false;
                if (failed)
                {
                    _openUntil = at + _breakDuration;
                    return CircuitChange.Opened;
                }

                change = CircuitChange.Closed;
                _openUntil = null;
                _open = false;
                Array.Clear(_calls);
                Array.Clear(_failures);
                _callers.Clear();
            }

            var now = at.UtcTicks / _bucketTicks;
            Advance(now, at);
            var slot = (int)(now % Buckets);
            if (_holding && _held.IsOver(caller, at))
            {
                // The first outcome of a caller after its own break: a failure holds it back again, a success lets it
                // go and forgets its failures.
                if (failed)
                {
                    _held.Hold(caller, at + _breakDuration, at);
                    return CircuitChange.CallerHeld;
                }

                change = CircuitChange.CallerReleased;
                _held.Release(caller);
                Forget(caller);
                _holding = _held.Count > 0;
            }

            _calls[slot]++;
            if (!failed)
            {
                _callers.Record(caller, slot, failed: false); // nothing to do unless the caller failed recently
                return change;
            }

            _failures[slot]++;
            if (!CircuitScope.IsShared(caller))
            {
                _callers.Record(caller, slot, failed: true);
            }

            int calls = 0, failures = 0;
            for (var i = 0; i < Buckets; i++)
            {
                calls += _calls[i];
                failures += _failures[i];
            }

            if (_openUntil is not null || calls < _minimumThroughput || failures < calls * _failureRatio)
            {
                return change;
            }

            if (_callers.Top() is not { } top || CircuitScope.ForEveryone(calls, failures, top.Calls, top.Failures, _failureRatio))
            {
                _openUntil = at + _breakDuration;
                _open = true;
                return CircuitChange.Opened;
            }

            if (!_held.IsHeld(top.Caller, at))
            {
                _held.Hold(top.Caller, at + _breakDuration, at);
                _holding = true;
                return CircuitChange.CallerHeld;
            }

            return change;
        }
    }

    /// <summary>A call that was cancelled by its caller: it says nothing of the upstream, but frees a probe.</summary>
    public void Abandon()
    {
        lock (_lock)
        {
            _probing = false;
        }
    }

    private void Forget(string caller)
    {
        if (_callers.Forget(caller) is { } counts)
        {
            for (var i = 0; i < Buckets; i++)
            {
                _calls[i] -= counts.Calls[i];
                _failures[i] -= counts.Failures[i];
            }
        }
    }

    private void Advance(long now, DateTimeOffset at)
    {
        if (now == _bucket)
        {
            return;
        }

        // Clear the buckets that fell out of the window since the last write (all of them after a long pause).
        var stale = Math.Min(now - _bucket, Buckets);
        for (long i = 1; i <= stale; i++)
        {
            var slot = (int)((_bucket + i) % Buckets);
            _calls[slot] = 0;
            _failures[slot] = 0;
            _callers.ClearBucket(slot);
        }

        _bucket = now;
        if (_holding)
        {
            _held.Prune(at);
            _holding = _held.Count > 0;
        }
    }
}
