using System.Collections.Concurrent;

namespace LlmGateway.Internal;

/// <summary>
/// The passive health of each target (<c>provider/model</c>): a circuit that trips after
/// <see cref="CircuitOptions.FailureThreshold"/> retryable failures in a row, or for as long as a <c>Retry-After</c>
/// asked. Whom it holds back follows <see cref="CircuitScope"/>: when the failures in the row came from two or more
/// callers the circuit opens for everyone (the target is skipped while another remains; after the pause one request is
/// let through as a probe, and its success closes the circuit), and when they all came from one caller only that
/// caller is held back (its requests skip the target; its next outcome after the pause decides the same way for it).
/// </summary>
internal sealed class TargetHealth(TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether a request of <paramref name="caller"/> may go to the target now; in half-open state only the
    /// first caller gets to probe.</summary>
    public bool TryEnter(RouteTarget target, string caller)
    {
        if (!_states.TryGetValue(target.Name, out var state))
        {
            return true;
        }

        lock (state)
        {
            var now = timeProvider.GetUtcNow();
            if (state.OpenUntil is not { } until)
            {
                return !state.Held.IsHeld(caller, now);
            }

            if (now < until || state.Probing)
            {
                return false;
            }

            state.Probing = true;
            return true;
        }
    }

    /// <summary>Whether the target takes no request of <paramref name="caller"/> now: open for everyone, half-open with
    /// its probe out, or holding that caller back (for ordering; claims no probe).</summary>
    public bool IsOpen(RouteTarget target, string caller)
    {
        if (!_states.TryGetValue(target.Name, out var state))
        {
            return false;
        }

        lock (state)
        {
            var now = timeProvider.GetUtcNow();
            return state.OpenUntil is { } until ? now < until || state.Probing : state.Held.IsHeld(caller, now);
        }
    }

    /// <summary>The target's circuit for <paramref name="caller"/>, for routing strategies: open while its break lasts
    /// (for everyone, or for this caller), half-open once the break is over and until a probe decides, else closed.</summary>
    public TargetCircuitState CircuitOf(RouteTarget target, string caller)
    {
        if (!_states.TryGetValue(target.Name, out var state))
        {
            return TargetCircuitState.Closed;
        }

        lock (state)
        {
            var now = timeProvider.GetUtcNow();
            if (state.OpenUntil is { } until)
            {
                return now < until ? TargetCircuitState.Open : TargetCircuitState.HalfOpen;
            }

            return state.Held.IsHeld(caller, now) ? TargetCircuitState.Open
                : state.Held.IsOver(caller, now) ? TargetCircuitState.HalfOpen
                : TargetCircuitState.Closed;
        }
    }

    /// <summary>An answer from the target to <paramref name="caller"/> that was not a retryable failure: the target is
    /// alive, and the caller is not held back.</summary>
    public void Succeeded(RouteTarget target, string caller)
    {
        if (_states.TryGetValue(target.Name, out var state))
        {
            lock (state)
            {
                state.ConsecutiveFailures = 0;
                state.RunCaller = null;
                state.RunShared = false;
                state.OpenUntil = null;
                state.Probing = false;
                state.Held.Release(caller);
            }
        }
    }

    /// <summary>Gives back a probe that ended without an answer (the caller went away).</summary>
    public void Released(RouteTarget target)
    {
        if (_states.TryGetValue(target.Name, out var state))
        {
            lock (state)
            {
                state.Probing = false;
            }
        }
    }

    /// <summary>A retryable failure of the target for <paramref name="caller"/>.</summary>
    public void Failed(RouteTarget target, string caller, TimeSpan? retryAfter, CircuitOptions options)
    {
        var state = _states.GetOrAdd(target.Name, static _ => new State());
        lock (state)
        {
            var now = timeProvider.GetUtcNow();
            var pause = retryAfter is { } wait && wait > TimeSpan.Zero ? wait : options.BreakDuration;
            if (state.OpenUntil is null && state.Held.IsOver(caller, now))
            {
                // The caller's first outcome after its own break: it failed again, so it is held back again.
                state.Held.Hold(caller, now + pause, now);
                return;
            }

            state.ConsecutiveFailures++;
            if (state.ConsecutiveFailures == 1)
            {
                state.RunCaller = caller;
                state.RunShared = CircuitScope.IsShared(caller);
            }
            else if (!state.RunShared && !string.Equals(state.RunCaller, caller, StringComparison.Ordinal))
            {
                state.RunShared = true; // failures in a row from two callers: the target fails for everyone
            }

            state.Probing = false;
            if ((retryAfter is not { } asked || asked <= TimeSpan.Zero) && state.ConsecutiveFailures < options.FailureThreshold)
            {
                return;
            }

            if (state.RunShared || state.OpenUntil is not null)
            {
                state.OpenUntil = now + pause;
            }
            else
            {
                state.Held.Hold(caller, now + pause, now);
            }
        }
    }

    /// <summary>Each target that has failed at least once, and whether its circuit is open now for everyone (requests
    /// skip it), for the <c>llmgateway.circuit.open</c> gauge.</summary>
    public IEnumerable<KeyValuePair<string, bool>> Circuits()
    {
        var now = timeProvider.GetUtcNow();
        foreach (var (name, state) in _states)
        {
            bool open;
            lock (state)
            {
                open = state.OpenUntil is { } until && (now < until || state.Probing);
            }

            yield return new KeyValuePair<string, bool>(name, open);
        }
    }

    /// <summary>Each known target's state, for the health endpoint: whether it is open (or half-open) for everyone, how
    /// many callers it holds back on their own, and a description naming no caller.</summary>
    public IReadOnlyList<TargetState> Snapshot()
    {
        var now = timeProvider.GetUtcNow();
        var result = new List<TargetState>(_states.Count);
        foreach (var (name, state) in _states)
        {
            lock (state)
            {
                var description = state.OpenUntil is { } until
                    ? now < until ? $"open until {until:O}" : "half-open"
                    : state.ConsecutiveFailures > 0 ? $"closed ({state.ConsecutiveFailures} failure(s) in a row)" : "closed";
                var (held, heldUntil) = state.Held.Active(now);
                if (held > 0)
                {
                    description += $"; {held} caller(s) held back until {heldUntil:O} after failures of their own";
                }

                result.Add(new TargetState(name, description, state.OpenUntil is not null, held));
            }
        }

        return result;
    }

    private sealed class State
    {
        public int ConsecutiveFailures { get; set; }

        /// <summary>Gets or sets the caller of the current row of failures while they all came from it.</summary>
        public string? RunCaller { get; set; }

        /// <summary>Gets or sets a value indicating whether the current row of failures counts for everyone.</summary>
        public bool RunShared { get; set; }

        public DateTimeOffset? OpenUntil { get; set; }

        public bool Probing { get; set; }

        public CallerBreaks Held { get; } = new();
    }
}

/// <summary>A target's circuit as the health endpoint reports it.</summary>
/// <param name="Name">The target, <c>provider/model</c>.</param>
/// <param name="Description">Its state in words, naming no caller.</param>
/// <param name="Open">Whether it is open or half-open for everyone.</param>
/// <param name="HeldCallers">How many callers it holds back on their own.</param>
internal readonly record struct TargetState(string Name, string Description, bool Open, int HeldCallers);
