namespace LlmGateway.Internal;

/// <summary>
/// A stream passed through on its way to the client while its usage is read: the usage chunk that
/// <c>stream_options.include_usage</c> adds (the gateway always asks for it) is taken out when the client did not ask
/// for it itself, and once the stream ends, fails or is abandoned, the call is settled exactly once, before the
/// client's <c>[DONE]</c>.
/// </summary>
internal sealed class AccountedEvents(
    IAsyncEnumerable<GatewayEvent> inner,
    CallerPolicy policy,
    Admission admission,
    RouteTable table,
    string model,
    string recordAs,
    string? provider,
    GatewayOperation operation,
    bool clientWantsUsage,
    RequestTelemetry? telemetry = null) : IAsyncEnumerable<GatewayEvent>, IAsyncEnumerator<GatewayEvent>
{
    private IAsyncEnumerator<GatewayEvent>? _inner;
    private GatewayEvent _current;
    private UsageCounts? _usage;
    private long _chunks;

    public GatewayEvent Current => _current;

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
        while (true)
        {
            bool has;
            try
            {
                has = await source.MoveNextAsync();
            }
            catch
            {
                await SettleAsync();
                throw;
            }

            if (!has)
            {
                await SettleAsync();
                return false;
            }

            var item = source.Current;
            if (Observe(item))
            {
                _current = item;
                return true;
            }
        }
    }

    /// <summary>Reads usage from an event; false when the event is the usage chunk the client did not ask for.</summary>
    private bool Observe(GatewayEvent item)
    {
        var data = item.Data.Span;
        if (data.IndexOf("\"usage\""u8) < 0)
        {
            _chunks++;
            return true;
        }

        if (operation == GatewayOperation.Responses)
        {
            if (UsageReader.FromResponsesEvent(data) is { } counts)
            {
                _usage = counts;
            }

            return true;
        }

        var usage = UsageReader.FromChunk(data, out var usageOnly);
        if (usage is { } reported)
        {
            _usage = reported;
        }
        else
        {
            _chunks++;
        }

        return clientWantsUsage || !usageOnly;
    }

    private ValueTask SettleAsync()
    {
        telemetry?.Usage = _usage;
        return policy.SettleAsync(admission, table, model, provider, _usage, _chunks, recordAs);
    }

    public async ValueTask DisposeAsync()
    {
        // A client that went away mid-stream: what was streamed so far is still counted (from an estimate if the
        // upstream's usage never came).
        await SettleAsync();
        if (_inner is not null)
        {
            await _inner.DisposeAsync();
        }
    }
}
