using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>
/// The graceful-shutdown clock. When the host starts stopping (SIGTERM: <see cref="IHostApplicationLifetime.ApplicationStopping"/>)
/// the server stops taking new requests and waits for the running ones; <see cref="Expired"/> fires once
/// <see cref="LlmGatewayOptions.ShutdownDrainTimeout"/> has passed after that, and the streams still running then end
/// with a <c>server_shutting_down</c> error event instead of being dropped when the host gives up on them.
/// </summary>
/// <remarks>
/// Without a host (the in-process client) nothing stops, and <see cref="Expired"/> never fires. The drain time is read
/// when stopping begins, so a reload before then applies.
/// </remarks>
internal sealed class ShutdownDrain : IDisposable
{
    private readonly CancellationTokenSource _expired;
    private readonly RouteTableProvider _routes;
    private readonly ILogger<ShutdownDrain> _logger;
    private readonly CancellationTokenRegistration _stopping;
    private readonly CancellationTokenRegistration _expiredLog;
    private TimeSpan _drainTimeout;
    private volatile bool _isStopping;

    public ShutdownDrain(IHostApplicationLifetime? lifetime, RouteTableProvider routes, TimeProvider timeProvider, ILogger<ShutdownDrain> logger)
    {
        _routes = routes;
        _logger = logger;
        _expired = new CancellationTokenSource(Timeout.InfiniteTimeSpan, timeProvider);
        _expiredLog = _expired.Token.Register(static state =>
        {
            var drain = (ShutdownDrain)state!;
            drain._logger.ShutdownDrainExpired(drain._drainTimeout);
        }, this);
        if (lifetime is not null)
        {
            _stopping = lifetime.ApplicationStopping.Register(static state => ((ShutdownDrain)state!).Start(), this);
        }
    }

    /// <summary>Gets a value indicating whether the host has started stopping.</summary>
    public bool IsStopping => _isStopping;

    /// <summary>Gets the drain time in force: the one shutdown began with, or the configured one until then.</summary>
    public TimeSpan DrainTimeout => IsStopping ? _drainTimeout : _routes.Current.Options.ShutdownDrainTimeout;

    /// <summary>Gets a token that fires when the drain time after the start of the shutdown is over.</summary>
    public CancellationToken Expired => _expired.Token;

    public void Dispose()
    {
        _stopping.Dispose();
        _expiredLog.Dispose();
        _expired.Dispose();
    }

    private void Start()
    {
        _drainTimeout = _routes.Current.Options.ShutdownDrainTimeout;
        _isStopping = true;
        _logger.ShutdownDrainStarted(_drainTimeout);
        try
        {
            _expired.CancelAfter(_drainTimeout);
        }
        catch (ObjectDisposedException)
        {
            // The container is being disposed already: nothing is left to drain.
        }
    }
}
