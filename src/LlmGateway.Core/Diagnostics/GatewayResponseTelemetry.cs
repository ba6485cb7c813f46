using LlmGateway.Internal;

namespace LlmGateway;

/// <summary>
/// The measurements of one gateway call, as its <see cref="GatewayResponse.Telemetry"/>: what a host needs for its own
/// request log line and for telling the gateway's own time from the upstream's. The values are read as the call goes
/// on; a stream's are final once its events have been enumerated to the end.
/// </summary>
public sealed class GatewayResponseTelemetry
{
    private readonly RequestTelemetry _telemetry;

    internal GatewayResponseTelemetry(RequestTelemetry telemetry) => _telemetry = telemetry;

    /// <summary>Gets the time spent inside provider calls so far (for a stream, up to its first event).</summary>
    public TimeSpan UpstreamTime => _telemetry.UpstreamTime;

    /// <summary>Gets how many targets were tried; 0 when the answer came without any (from the cache, or refused).</summary>
    public int Attempts => _telemetry.Attempts;

    /// <summary>Gets how many times the attempts were retried on the same target (a short wait after a 429 or a
    /// transient server error, see <see cref="UpstreamResilienceOptions.Patience"/>); 0 when none was.</summary>
    public int Retries => _telemetry.Retries;

    /// <summary>Gets the input tokens the upstream reported, or null when it reported none (yet).</summary>
    public long? InputTokens => _telemetry.Usage?.PromptTokens;

    /// <summary>Gets the output tokens the upstream reported, or null when it reported none (yet).</summary>
    public long? OutputTokens => _telemetry.Usage?.CompletionTokens;

    /// <summary>Gets whether the answer came from the response cache; null when the cache did not take the request.</summary>
    public bool? CacheHit => _telemetry.CacheHit;

    /// <summary>Gets what became of a stream that was cut after output reached the client and had a target left to
    /// continue it: <c>prefill</c> or <c>restart</c> (continued that way), <c>diverged</c>, <c>exhausted</c> or
    /// <c>unsafe</c> (ended with an error event); null when no such cut happened.</summary>
    public string? Continuation => _telemetry.Continuation;

    /// <summary>Gets whether a hedged attempt ran for this streamed call and answered it (true), ran and did not answer
    /// (false: the first attempt delivered its first event first, or neither answered), or no hedge ran (null).</summary>
    public bool? HedgeWon => _telemetry.HedgeWon;

    /// <summary>Gets the call's <c>error.type</c> (the one its metrics and spans carry, such as
    /// <c>rate_limit_exceeded</c>), or null while it has not failed.</summary>
    public string? ErrorType => _telemetry.ErrorType;
}
