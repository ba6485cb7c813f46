using System.Collections.Concurrent;

namespace LlmGateway.Internal;

/// <summary>
/// The passive health of each target (<c>provider/model</c>): a circuit that opens after
/// <see cref="CircuitOptions.FailureThreshold"/> retryable failures in a row, or for as long as a <c>Retry-After</c>
/// asked; while open the target is skipped (if another remains); after the pause one request is let through as a
/// probe (half-open), and its success closes the circuit, so traffic returns to a target once it recovers.
/// </summary>
internal sealed class TargetHealth(TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<string, State> _states = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Whether a request may go to the target now; in half-open state only the first caller gets to probe.</summary>
    public bool TryEnter(RouteTarget target)
    {
        if (!_states.TryGetValue(target.Name, out var state))
        {
            return true;
        }

        lock (state)
        {
            if (state.OpenUntil is not { } until)
            {
                return true;
            }

            if (timeProvider.GetUtcNow() < until || state.Probing)
            {
                return false;
            }

            state.Probing = true;
            return true;
        }
    }

    /// <summary>Whether the target is available without claiming a probe (for ordering).</summary>
    public bool IsOpen(RouteTarget target) => IsOpen(target.Name);

    /// <summary>Whether the target (<c>provider/model</c>) takes no request now: open, or half-open with its probe out.</summary>
    public bool IsOpen(string targetName) =>
        _states.TryGetValue(targetName, out var state) && state.OpenUntil is { } until && (timeProvider.GetUtcNow() < until || state.Probing);

    /// <summary>Gets the targets that have failed at least once (the others are closed).</summary>
    public IEnumerable<string> KnownTargets => _states.Keys;

    public void Succeeded(RouteTarget target)
    {
        if (_states.TryGetValue(target.Name, out var state))
        {
            lock (state)
            {
                state.ConsecutiveFailures = 0;
                state.OpenUntil = null;
                state.Probing = false;
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

    public void Failed(RouteTarget target, TimeSpan? retryAfter, CircuitOptions options)
    {
        var state = _states.GetOrAdd(target.Name, static _ => new State());
        lock (state)
        {
            state.ConsecutiveFailures++;
            state.Probing = false;
            var now = timeProvider.GetUtcNow();
            if (retryAfter is { } wait && wait > TimeSpan.Zero)
            {
                state.OpenUntil = now + wait;
            }
            else if (state.ConsecutiveFailures >= options.FailureThreshold)
            {
                state.OpenUntil = now + options.BreakDuration;
            }
        }
    }

    /// <summary>Each target that has failed at least once, and whether its circuit is open now (requests skip it), for
    /// the <c>llmgateway.circuit.open</c> gauge.</summary>
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

    /// <summary>Each known target's state, for the health endpoint.</summary>
    public IReadOnlyDictionary<string, object> Snapshot()
    {
        var now = timeProvider.GetUtcNow();
        var result = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        foreach (var (name, state) in _states)
        {
            lock (state)
            {
                result[name] = state.OpenUntil is { } until
                    ? now < until ? $"open until {until:O}" : "half-open"
                    : state.ConsecutiveFailures > 0 ? $"closed ({state.ConsecutiveFailures} failure(s) in a row)" : "closed";
            }
        }

        return result;
    }

    private sealed class State
    {
        public int ConsecutiveFailures { get; set; }

        public DateTimeOffset? OpenUntil { get; set; }

        public bool Probing { get; set; }
    }
}
