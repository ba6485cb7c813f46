namespace LlmGateway;

/// <summary>
/// Retries and the circuit breaker on each upstream call (<c>LlmGateway:Resilience</c>), applied by the providers'
/// upstream handler chain. A change takes effect on the next call, without a restart.
/// </summary>
/// <remarks>
/// The breaker here is per upstream authority (scheme, host and port), shared by every provider instance and model
/// that calls it; the per-target circuit (<see cref="CircuitOptions"/>) is per <c>&lt;instance&gt;/&lt;model&gt;</c>
/// and steers routing. Changing a breaker setting starts every upstream circuit afresh (closed, with an empty window).
/// </remarks>
public sealed class UpstreamResilienceOptions
{
    /// <summary>Gets or sets how many times a failed call is retried on the same upstream (connection failures, 408,
    /// 429 and 5xx), after the first attempt. 0 turns retries off. Defaults to 2.</summary>
    public int MaxRetries { get; set; } = 2;

    /// <summary>Gets or sets the median wait before the first retry; it doubles for each next one, with ±25 % jitter,
    /// up to <see cref="MaxRetryWait"/>. Defaults to 500 milliseconds.</summary>
    public TimeSpan BaseDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Gets or sets the longest wait the gateway sits out before a retry. A 429 whose <c>Retry-After</c> asks
    /// for longer goes back to the client at once, with its <c>retry-after</c>. Defaults to 10 seconds.</summary>
    public TimeSpan MaxRetryWait { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets the longest wait sat out on a target while other targets remain. Such a target is retried at
    /// most once, and only where waiting pays: after a 500, 502 or 503 (a short jittered backoff from
    /// <see cref="BaseDelay"/>, or the <c>Retry-After</c> it sent when that is within this), or after a 429 whose
    /// <c>Retry-After</c> (or rate-limit reset) is within this; anything else, or a longer wait, fails over to the next
    /// target at once. The last target a request may try keeps the full <see cref="MaxRetries"/>. No wait outlasts
    /// <see cref="LlmGatewayOptions.RequestBudget"/> or, for a stream, <see cref="LlmGatewayOptions.FirstTokenTimeout"/>.
    /// 0 fails over at once. Defaults to 3 seconds.</summary>
    public TimeSpan Patience { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Gets or sets the share of failed calls (5xx, 408, connection failures; not 429) in
    /// <see cref="SamplingDuration"/> that trips an upstream's circuit, above 0 and at most 1. Defaults to 0.5.</summary>
    public double FailureRatio { get; set; } = 0.5;

    /// <summary>Gets or sets how many calls must have ended in <see cref="SamplingDuration"/> before the circuit can
    /// trip. Defaults to 20.</summary>
    public int MinimumThroughput { get; set; } = 20;

    /// <summary>Gets or sets the sliding window the failure ratio is measured over. Defaults to 30 seconds.</summary>
    public TimeSpan SamplingDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how long a tripped circuit refuses calls (with 503 <c>upstream_unavailable</c>) before
    /// one is let through to probe the upstream. Defaults to 15 seconds.</summary>
    public TimeSpan BreakDuration { get; set; } = TimeSpan.FromSeconds(15);
}
