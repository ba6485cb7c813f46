using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>
/// The first-byte deadline of one streamed attempt: the upstream's response headers and its first event must both
/// arrive within <see cref="LlmGatewayOptions.FirstTokenTimeout"/> (or what is left of the request's budget, when
/// shorter). The attempt is sent with <see cref="Token"/>, so a silent upstream is abandoned mid-call (its retries
/// included) and the request fails over at once; once the first event is in, the deadline is disarmed and the stream
/// lives on the idle timeout.
/// </summary>
internal sealed class FirstByteDeadline : IDisposable
{
    private readonly CancellationTokenSource _timer;
    private readonly CancellationTokenSource _linked;
    private readonly CancellationToken _caller;
    private bool _adopted;

    private FirstByteDeadline(TimeSpan? limit, string setting, TimeProvider clock, CancellationToken caller)
    {
        Limit = limit;
        Setting = setting;
        _caller = caller;
        _timer = new CancellationTokenSource(Timeout.InfiniteTimeSpan, clock);
        _linked = CancellationTokenSource.CreateLinkedTokenSource(caller, _timer.Token);
        if (limit is { } wait)
        {
            _timer.CancelAfter(wait);
        }
    }

    /// <summary>Gets the time the attempt has for its headers and first event; null when nothing bounds it here.</summary>
    public TimeSpan? Limit { get; }

    /// <summary>Gets the setting the limit comes from, for the error message.</summary>
    public string Setting { get; }

    /// <summary>Gets the token the attempt is sent and its stream read with: the caller's, cancelled also when the
    /// deadline passes before the first event.</summary>
    public CancellationToken Token => _linked.Token;

    /// <summary>Gets whether the deadline (rather than the caller) ended the attempt.</summary>
    public bool Expired => _timer.IsCancellationRequested && !_caller.IsCancellationRequested;

    /// <summary>Arms the deadline of a streamed attempt that starts now.</summary>
    /// <param name="options">The options in force.</param>
    /// <param name="budget">What is left of the request's budget, if it has one.</param>
    /// <param name="clock">The clock.</param>
    /// <param name="caller">The caller's token.</param>
    public static FirstByteDeadline Start(LlmGatewayOptions options, TimeSpan? budget, TimeProvider clock, CancellationToken caller)
    {
        var limit = options.FirstTokenTimeout;
        var setting = "LlmGateway:FirstTokenTimeout";
        if (budget is { } left && (limit is null || left < limit))
        {
            (limit, setting) = (left, "LlmGateway:RequestBudget");
        }

        return new FirstByteDeadline(limit, setting, clock, caller);
    }

    /// <summary>A deadline that never passes, for a stream the request did not ask for (the caller's token only).</summary>
    public static FirstByteDeadline Unbounded(TimeProvider clock, CancellationToken caller) =>
        new(limit: null, "LlmGateway:FirstTokenTimeout", clock, caller);

    /// <summary>The first event is in: the stream now lives on the idle timeout.</summary>
    public void Disarm() => _timer.CancelAfter(Timeout.InfiniteTimeSpan);

    /// <summary>The answer of an attempt the deadline ended: 504 <c>upstream_timeout</c>, retryable, so the request
    /// fails over at once; logged, and noted for the attempt's telemetry.</summary>
    /// <param name="logger">The pipeline's logger.</param>
    /// <param name="provider">The instance name.</param>
    /// <param name="upstream">The attempt's state.</param>
    public GatewayError TimedOut(ILogger logger, string provider, UpstreamCallState? upstream)
    {
        logger.FirstByteTimedOut(provider, Limit ?? TimeSpan.Zero, Setting);
        if (upstream is not null)
        {
            upstream.FirstByteTimedOut = true;
        }

        return new GatewayError(
            GatewayErrorKind.UpstreamTimeout,
            $"The upstream sent no response headers and first event within {Limit} ({Setting}).");
    }

    /// <summary>Hands the token sources to the stream that reads with <see cref="Token"/>, to dispose when it ends.</summary>
    public IDisposable[] Adopt()
    {
        _adopted = true;
        return [_linked, _timer];
    }

    /// <summary>Disposes the token sources, unless a stream adopted them.</summary>
    public void Dispose()
    {
        if (!_adopted)
        {
            _linked.Dispose();
            _timer.Dispose();
        }
    }
}
