namespace LlmGateway.Internal;

/// <summary>
/// What the gateway and the upstream handler share about one attempt on one target (set on its request messages by
/// <see cref="UpstreamHttpClient.Apply"/>): the time no retry wait may run past, and what the handler's retries were,
/// for the attempt's span, the request's log line and the <c>llmgateway.retries</c> metric.
/// </summary>
internal sealed class UpstreamCallState
{
    private List<string>? _reasons;

    /// <summary>Gets the time (on the gateway's clock) no retry wait may run past: the end of the request's budget, or
    /// for a stream of its first-byte deadline; null when neither bounds the attempt.</summary>
    public DateTimeOffset? NotAfter { get; init; }

    /// <summary>Gets whether the retries were patient ones (other targets remained).</summary>
    public bool Patient { get; private set; }

    /// <summary>Gets how many times the handler retried on the same target.</summary>
    public int Retries => _reasons?.Count ?? 0;

    /// <summary>Gets or sets whether a stream's first-byte deadline ended the attempt.</summary>
    public bool FirstByteTimedOut { get; set; }

    /// <summary>The reason of each retry, in order (<c>rate_limited</c>, <c>server_error</c>…).</summary>
    public IReadOnlyList<string> Reasons => (IReadOnlyList<string>?)_reasons ?? [];

    /// <summary>The state of an attempt that may take <paramref name="within"/> (null: unbounded).</summary>
    public static UpstreamCallState For(TimeProvider clock, TimeSpan? within) =>
        new() { NotAfter = within is { } left ? clock.GetUtcNow() + left : null };

    /// <summary>The handler is about to retry.</summary>
    public void Retried(string reason, bool patient)
    {
        // One call's retries come one after another, and are read once the call is over: no lock needed.
        (_reasons ??= []).Add(reason);
        Patient = patient;
    }
}
