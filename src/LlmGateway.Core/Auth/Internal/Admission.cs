namespace LlmGateway.Internal;

/// <summary>
/// A request let in by its caller's policy: who is charged, what was reserved from which token buckets (to settle
/// once the real usage is known), and what to report in the headers.
/// </summary>
internal sealed class Admission
{
    public required string UsageId { get; init; }

    public GatewayCaller? Caller { get; init; }

    public RateLimitStrategy Strategy { get; init; }

    /// <summary>Token buckets with what was reserved from each, and the window it was taken from.</summary>
    public (LimitBucket Bucket, long WindowId)[] TokenReservations { get; init; } = [];

    /// <summary>The estimated prompt tokens, when they were counted (a token limit applies); else null.</summary>
    public int? PromptEstimate { get; init; }

    public RateLimitReport? Report { get; init; }

    /// <summary>Set once the call was settled, so a stream's end and its disposal do not both count it.</summary>
    internal int Settled;
}
