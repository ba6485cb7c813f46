using System.Collections.Concurrent;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmGateway.EntityFrameworkCore.Internal;

/// <summary>
/// Usage totals in the database (<c>usage_totals</c>: one row per key, UTC day or month, model and provider), written
/// behind: <see cref="AddAsync"/> queues the record in a bounded channel and a background writer adds batches to the
/// rows (<see cref="DatabaseOptions.UsageFlushBatchSize"/> records, or what came within
/// <see cref="DatabaseOptions.UsageFlushInterval"/>), one transaction per batch, each row an upsert that adds
/// to the counters (so instances sharing the database add to the same totals).
/// </summary>
/// <remarks>
/// <para>Totals and listings add what is queued or being written (<see cref="UnwrittenUsage"/>), so a budget sees a
/// call as soon as it is recorded. At a graceful stop the writer writes everything queued before the host stops; a crash
/// loses what was queued (at most one flush interval's usage, more while the database was away).</para>
/// <para>While the database is away, the writer keeps the rows (aggregated: one per key, model, provider and period, so
/// memory does not grow with the calls) and tries again; totals are answered from the last totals read plus what is
/// unwritten.</para>
/// </remarks>
internal sealed class DatabaseUsageStore : IUsageStore, IDisposable
{
    private const string UpsertSql = """
        INSERT INTO usage_totals (key_id, period, period_index, model, provider, requests, prompt_tokens, completion_tokens, cached_tokens, reasoning_tokens, estimated_requests, cost_nanos)
        VALUES ({0}, {1}, {2}, {3}, {4}, {5}, {6}, {7}, {8}, {9}, {10}, {11})
        ON CONFLICT (key_id, period, period_index, model, provider) DO UPDATE SET
            requests = usage_totals.requests + excluded.requests,
            prompt_tokens = usage_totals.prompt_tokens + excluded.prompt_tokens,
            completion_tokens = usage_totals.completion_tokens + excluded.completion_tokens,
            cached_tokens = usage_totals.cached_tokens + excluded.cached_tokens,
            reasoning_tokens = usage_totals.reasoning_tokens + excluded.reasoning_tokens,
            estimated_requests = usage_totals.estimated_requests + excluded.estimated_requests,
            cost_nanos = usage_totals.cost_nanos + excluded.cost_nanos
        """;

    private static readonly TimeSpan s_maxRetryDelay = TimeSpan.FromSeconds(30);

    private readonly GatewayDatabase _database;
    private readonly ILogger<DatabaseUsageStore> _logger;
    private readonly TimeProvider _time;
    private readonly int _batchSize;
    private readonly TimeSpan _interval;
    private readonly Channel<Record> _queue;
    private readonly UnwrittenUsage _unwritten = new();
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly ConcurrentDictionary<(string KeyId, UsagePeriod Period, int Index), UsageTotals> _lastRead = new();
    private readonly CancellationTokenSource _abandon = new();
    private readonly Lock _startGate = new();
    private Task? _writer;
    private int _held;
    private Exception? _lastFailure;

    public DatabaseUsageStore(GatewayDatabase database, IOptions<LlmGatewayOptions> options, ILogger<DatabaseUsageStore> logger)
    {
        _database = database;
        _logger = logger;
        _time = TimeProvider.System; // the writer's timers run on the machine's clock, whatever clock the gateway is given
        _batchSize = options.Value.Database.UsageFlushBatchSize;
        _interval = options.Value.Database.UsageFlushInterval;
        _queue = Channel.CreateBounded<Record>(new BoundedChannelOptions(options.Value.Database.UsageQueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    public async ValueTask AddAsync(UsageEntry usage, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(usage);
        EnsureWriter();
        var record = new Record(usage, at);
        _unwritten.Add(usage, at);
        if (_queue.Writer.TryWrite(record))
        {
            return;
        }

        try
        {
            // Full: wait for room (the writer empties the queue into its batch even while the database is away).
            await _queue.Writer.WriteAsync(record, CancellationToken.None);
        }
        catch (ChannelClosedException)
        {
            // Recorded after the writer stopped (the host is stopping): written at once.
            var rows = new Dictionary<UsageRowKey, UsageCounters>();
            UsagePeriodIndex.AddTo(rows, usage, at);
            if (!await TryWriteAsync(rows, subtract: true))
            {
                _logger.UsageLostAtStop(rows.Count);
            }
        }
    }

    public async ValueTask<UsageTotals> GetTotalsAsync(string keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        var index = UsagePeriodIndex.Of(period, at);
        var (generation, unwritten) = _unwritten.Totals(keyId, period, index);
        try
        {
            for (var attempt = 0; ; attempt++)
            {
                var stored = await ReadTotalsAsync(keyId, period, index, cancellationToken);
                _lastRead[(keyId, period, index)] = stored;
                var after = _unwritten.Generation;

                // No batch was written (or being written) between the two reads: the database and the unwritten rows
                // do not overlap. Else read again; a reader that keeps losing the race counts a batch twice at worst
                // (a budget then errs on refusing).
                if ((generation == after && generation % 2 == 0) || attempt == 2)
                {
                    return new UsageTotals(stored.Tokens + unwritten.Tokens, stored.Cost + unwritten.Cost);
                }

                (generation, unwritten) = _unwritten.Totals(keyId, period, index);
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            _logger.UsageReadFailed(ex);
            var last = _lastRead.GetValueOrDefault((keyId, period, index));
            return new UsageTotals(last.Tokens + unwritten.Tokens, last.Cost + unwritten.Cost);
        }
    }

    public async ValueTask<IReadOnlyList<UsageEntry>> ListAsync(string? keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var index = UsagePeriodIndex.Of(period, at);
        for (var attempt = 0; ; attempt++)
        {
            var (generation, rows) = _unwritten.Rows(keyId, period, index);
            await _database.EnsureMigratedAsync();
            await using var context = _database.CreateContext();
            var query = context.Usage.AsNoTracking().Where(u => u.Period == (int)period && u.PeriodIndex == index);
            if (keyId is not null)
            {
                query = query.Where(u => u.KeyId == keyId);
            }

            var stored = await query.ToListAsync(cancellationToken);
            if ((generation != _unwritten.Generation || generation % 2 != 0) && attempt < 2)
            {
                continue;
            }

            foreach (var row in stored)
            {
                UsagePeriodIndex.Add(rows, new UsageRowKey(row.KeyId, period, index, row.Model, row.Provider), new UsageCounters
                {
                    Requests = row.Requests,
                    PromptTokens = row.PromptTokens,
                    CompletionTokens = row.CompletionTokens,
                    CachedTokens = row.CachedTokens,
                    ReasoningTokens = row.ReasoningTokens,
                    EstimatedRequests = row.EstimatedRequests,
                    Cost = FromNanos(row.CostNanos),
                });
            }

            var entries = rows.Select(static r => new UsageEntry(r.Key.KeyId, r.Key.Model, r.Key.Provider)
            {
                Requests = r.Value.Requests,
                PromptTokens = r.Value.PromptTokens,
                CompletionTokens = r.Value.CompletionTokens,
                CachedTokens = r.Value.CachedTokens,
                ReasoningTokens = r.Value.ReasoningTokens,
                EstimatedRequests = r.Value.EstimatedRequests,
                Cost = r.Value.Cost,
            }).ToList();
            entries.Sort(static (x, y) =>
            {
                var result = string.CompareOrdinal(x.KeyId, y.KeyId);
                result = result == 0 ? string.CompareOrdinal(x.Model, y.Model) : result;
                return result == 0 ? string.CompareOrdinal(x.Provider, y.Provider) : result;
            });
            return entries;
        }
    }

    /// <summary>Starts the background writer (once; the first record starts it too, for a store used without a
    /// host).</summary>
    public void EnsureWriter()
    {
        if (Volatile.Read(ref _writer) is not null)
        {
            return;
        }

        lock (_startGate)
        {
            _writer ??= Task.Run(RunAsync);
        }
    }

    /// <summary>Stops taking records and writes every queued one; when <paramref name="cancellationToken"/> fires first
    /// (the host's shutdown timeout), what is still unwritten is logged as lost.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        Task? writer;
        lock (_startGate)
        {
            writer = _writer;
        }

        if (writer is null)
        {
            return;
        }

        try
        {
            await writer.WaitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await _abandon.CancelAsync();
            var lost = Volatile.Read(ref _held) + _queue.Reader.Count;
            if (lost > 0)
            {
                _logger.UsageLostAtStop(lost);
            }
        }
    }

    public void Dispose()
    {
        _abandon.Dispose();
        _writeGate.Dispose();
    }

    internal static long ToNanos(decimal cost) => (long)decimal.Round(cost * 1_000_000_000m, MidpointRounding.AwayFromZero);

    internal static decimal FromNanos(long nanos) => nanos / 1_000_000_000m;

    private async Task<UsageTotals> ReadTotalsAsync(string keyId, UsagePeriod period, int index, CancellationToken cancellationToken)
    {
        await _database.EnsureMigratedAsync();
        await using var context = _database.CreateContext();
        var totals = await context.Usage.AsNoTracking()
            .Where(u => u.KeyId == keyId && u.Period == (int)period && u.PeriodIndex == index)
            .GroupBy(static u => 1)
            .Select(static g => new { Tokens = g.Sum(u => u.PromptTokens + u.CompletionTokens), Cost = g.Sum(u => u.CostNanos) })
            .FirstOrDefaultAsync(cancellationToken);
        return totals is null ? default : new UsageTotals(totals.Tokens, FromNanos(totals.Cost));
    }

    private async Task RunAsync()
    {
        var reader = _queue.Reader;
        var batch = new Dictionary<UsageRowKey, UsageCounters>();
        var failures = 0;
        while (!_abandon.IsCancellationRequested)
        {
            if (batch.Count == 0 && !await reader.WaitToReadAsync())
            {
                return; // stopped, and everything written
            }

            var count = 0;
            using (var window = new CancellationTokenSource(_interval, _time))
            {
                while (count < _batchSize)
                {
                    while (count < _batchSize && reader.TryRead(out var record))
                    {
                        UsagePeriodIndex.AddTo(batch, record.Usage, record.At);
                        count++;
                    }

                    if (count >= _batchSize)
                    {
                        break;
                    }

                    try
                    {
                        if (!await reader.WaitToReadAsync(window.Token))
                        {
                            break; // stopped: write what is held
                        }
                    }
                    catch (OperationCanceledException)
                    {
                        break; // the interval is up
                    }
                }
            }

            Volatile.Write(ref _held, batch.Count);
            if (batch.Count == 0)
            {
                continue;
            }

            if (await TryWriteAsync(batch, subtract: true))
            {
                batch.Clear();
                failures = 0;
                Volatile.Write(ref _held, 0);
                continue;
            }

            failures++;
            var delay = TimeSpan.FromMilliseconds(Math.Min(s_maxRetryDelay.TotalMilliseconds, 250 * Math.Pow(2, Math.Min(failures, 10))));
            _logger.UsageWriteFailed(batch.Count, delay.TotalSeconds, _lastFailure!);
            try
            {
                await Task.Delay(delay, _time, _abandon.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Adds the rows to the database in one transaction; with <paramref name="subtract"/>, they leave the
    /// unwritten rows when committed.</summary>
    private async Task<bool> TryWriteAsync(Dictionary<UsageRowKey, UsageCounters> rows, bool subtract = false)
    {
        await _writeGate.WaitAsync();
        _unwritten.BeginWrite();
        var written = false;
        try
        {
            await _database.EnsureMigratedAsync();
            await using var context = _database.CreateContext();
            await using var transaction = await context.Database.BeginTransactionAsync();
            foreach (var (key, counters) in rows)
            {
                await context.Database.ExecuteSqlRawAsync(
                    UpsertSql,
                    key.KeyId, (int)key.Period, key.Index, key.Model, key.Provider,
                    counters.Requests, counters.PromptTokens, counters.CompletionTokens, counters.CachedTokens,
                    counters.ReasoningTokens, counters.EstimatedRequests, ToNanos(counters.Cost));
            }

            await transaction.CommitAsync();
            written = true;
            return true;
        }
        catch (Exception ex)
        {
            _lastFailure = ex;
            return false;
        }
        finally
        {
            _unwritten.EndWrite(written && subtract ? rows : null);
            _writeGate.Release();
        }
    }

    private readonly record struct Record(UsageEntry Usage, DateTimeOffset At);
}
