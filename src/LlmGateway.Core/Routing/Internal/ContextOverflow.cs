namespace LlmGateway.Internal;

/// <summary>
/// The targets of one request that answered <c>context_length_exceeded</c>: the prompt is sent on only to a target
/// that may hold it, one whose context window is larger than every known window that overflowed, or unknown; never
/// to a model that overflowed already, on whichever instance (the same model has the same window).
/// </summary>
internal sealed class ContextOverflow
{
    private readonly HashSet<string> _models = new(StringComparer.OrdinalIgnoreCase);
    private int? _largestKnown;

    /// <summary>A target's answer was <c>context_length_exceeded</c>.</summary>
    public void Overflowed(RouteTarget target)
    {
        _models.Add(target.Model);
        if (target.ContextWindow is { } window && !(_largestKnown >= window))
        {
            _largestKnown = window;
        }
    }

    /// <summary>Whether a target cannot take the prompt: its model overflowed, or its known window is no larger than
    /// one that did.</summary>
    public bool Skips(RouteTarget target) =>
        _models.Contains(target.Model) || (target.ContextWindow is { } window && window <= _largestKnown);
}
