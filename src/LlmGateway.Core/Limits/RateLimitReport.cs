namespace LlmGateway;

/// <summary>
/// The caller's rate-limit state once a call was counted, as HTTP hosts report it in the <c>x-ratelimit-*</c> headers:
/// of the buckets the call was counted in, the one with the least left, for requests and for tokens.
/// </summary>
public sealed class RateLimitReport
{
    internal RateLimitReport(RateLimitState? requests, RateLimitState? tokens)
    {
        Requests = requests;
        Tokens = tokens;
    }

    /// <summary>Gets the state of the tightest requests-per-minute bucket; null when no request limit applies.</summary>
    public RateLimitState? Requests { get; }

    /// <summary>Gets the state of the tightest tokens-per-minute bucket; null when no token limit applies.</summary>
    public RateLimitState? Tokens { get; }
}

/// <summary>One rate-limit bucket as a client is told about it.</summary>
public readonly struct RateLimitState
{
    /// <summary>Initializes a new instance of the <see cref="RateLimitState"/> struct.</summary>
    /// <param name="limit">The limit per minute.</param>
    /// <param name="remaining">What is left of it (negative when a request took more than was left).</param>
    /// <param name="resetAfter">The time until the bucket is full again.</param>
    public RateLimitState(long limit, long remaining, TimeSpan resetAfter)
    {
        Limit = limit;
        Remaining = remaining;
        ResetAfter = resetAfter;
    }

    /// <summary>Gets the limit per minute.</summary>
    public long Limit { get; }

    /// <summary>Gets what is left of the limit (negative when a request took more than was left).</summary>
    public long Remaining { get; }

    /// <summary>Gets the time until the bucket is full again.</summary>
    public TimeSpan ResetAfter { get; }
}
