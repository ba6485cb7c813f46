namespace LlmGateway;

/// <summary>
/// Hedged first tokens for streamed requests (<c>LlmGateway:Hedging</c>, and per alias
/// <c>LlmGateway:Models:&lt;alias&gt;:Hedging</c>): when a stream's first event has not arrived after the hedging delay,
/// the next target is started alongside it; the first of the two to deliver a first event answers, the other is
/// cancelled. An alias's own settings win over the global ones, setting by setting.
/// </summary>
public sealed class HedgingOptions
{
    /// <summary>
    /// Gets or sets whether streamed requests are hedged. Unset (the default): streams to an alias with two or more
    /// targets are, streams that have more than one target only through the request's own <c>fallbacks</c> are not.
    /// <see langword="true"/>: every stream with a second target to start is (set globally, this takes in the
    /// request-level <c>fallbacks</c>); <see langword="false"/>: none is.
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>
    /// Gets or sets how long a stream's first event may take before the next target is started alongside. Unset (the
    /// default): three times the first target's average time to first token, at least one second, and ten seconds for
    /// a target not measured yet.
    /// </summary>
    public TimeSpan? Delay { get; set; }
}
