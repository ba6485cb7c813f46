namespace LlmGateway.Internal;

/// <summary>A stream whose first event has been read already; it yields that event, then the rest.</summary>
internal sealed class PrefetchedEvents(IAsyncEnumerator<GatewayEvent> inner, bool hasFirst, IDisposable[]? owned = null)
    : IAsyncEnumerable<GatewayEvent>, IAsyncEnumerator<GatewayEvent>
{
    private int _state; // 0: first not yet yielded, 1: streaming, 2: ended
    private int _enumerated;

    public GatewayEvent Current => inner.Current;

    public IAsyncEnumerator<GatewayEvent> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        Interlocked.Exchange(ref _enumerated, 1) == 0
            ? this
            : throw new InvalidOperationException("A gateway stream can be enumerated once.");

    public async ValueTask<bool> MoveNextAsync()
    {
        switch (_state)
        {
            case 0:
                _state = hasFirst ? 1 : 2;
                return hasFirst;
            case 1:
                if (await inner.MoveNextAsync())
                {
                    return true;
                }

                _state = 2;
                return false;
            default:
                return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _state = 2;
        await inner.DisposeAsync();
        foreach (var disposable in owned ?? [])
        {
            disposable.Dispose();
        }
    }
}
