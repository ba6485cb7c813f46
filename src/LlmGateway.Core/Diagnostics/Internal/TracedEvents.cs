namespace LlmGateway.Internal;

/// <summary>
/// A stream on its way to the client whose end, clean, failed or abandoned, ends its call's telemetry (the request
/// span and the duration and token measurements). It is also the response's owner, so a stream disposed without
/// being read ends it too.
/// </summary>
internal sealed class TracedEvents(IAsyncEnumerable<GatewayEvent> inner, RequestTelemetry call, IAsyncDisposable? owner)
    : IAsyncEnumerable<GatewayEvent>, IAsyncEnumerator<GatewayEvent>
{
    private IAsyncEnumerator<GatewayEvent>? _inner;
    private int _disposed;

    public GatewayEvent Current => _inner!.Current;

    public IAsyncEnumerator<GatewayEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        if (_inner is not null)
        {
            throw new InvalidOperationException("A gateway stream can be enumerated once.");
        }

        _inner = inner.GetAsyncEnumerator(cancellationToken);
        return this;
    }

    public async ValueTask<bool> MoveNextAsync()
    {
        var source = _inner ?? throw new InvalidOperationException("GetAsyncEnumerator was not called.");
        try
        {
            if (await source.MoveNextAsync())
            {
                return true;
            }
        }
        catch (LlmGatewayException ex)
        {
            call.StreamFailed(ex.Error.Kind);
            throw;
        }
        catch (Exception ex)
        {
            call.Failed(ex);
            throw;
        }

        call.End(errorType: null);
        return false;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            // The inner stream settles the call's usage as it is disposed: it goes first.
            if (_inner is not null)
            {
                await _inner.DisposeAsync();
            }

            if (owner is not null)
            {
                await owner.DisposeAsync();
            }
        }
        finally
        {
            call.End("canceled"); // a no-op after a clean end or a failure: only a stream left unfinished gets here first
        }
    }
}
