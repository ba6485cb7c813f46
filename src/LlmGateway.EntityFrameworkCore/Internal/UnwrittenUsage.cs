namespace LlmGateway.EntityFrameworkCore.Internal;

/// <summary>The row a usage record adds to: key, UTC day or month, model, provider.</summary>
internal readonly record struct UsageRowKey(string KeyId, UsagePeriod Period, int Index, string Model, string Provider);

/// <summary>Counters of one row, the cost exact (converted to billionths of a dollar when written).</summary>
internal sealed class UsageCounters
{
    public long Requests { get; set; }

    public long PromptTokens { get; set; }

    public long CompletionTokens { get; set; }

    public long CachedTokens { get; set; }

    public long ReasoningTokens { get; set; }

    public long EstimatedRequests { get; set; }

    public decimal Cost { get; set; }

    public void Add(UsageCounters other, int sign = 1)
    {
        Requests += sign * other.Requests;
        PromptTokens += sign * other.PromptTokens;
        CompletionTokens += sign * other.CompletionTokens;
        CachedTokens += sign * other.CachedTokens;
        ReasoningTokens += sign * other.ReasoningTokens;
        EstimatedRequests += sign * other.EstimatedRequests;
        Cost += sign * other.Cost;
    }

    public static UsageCounters From(UsageEntry usage) => new()
    {
        Requests = usage.Requests > 0 ? usage.Requests : 1,
        PromptTokens = usage.PromptTokens,
        CompletionTokens = usage.CompletionTokens,
        CachedTokens = usage.CachedTokens,
        ReasoningTokens = usage.ReasoningTokens,
        EstimatedRequests = usage.EstimatedRequests,
        Cost = usage.Cost,
    };
}

/// <summary>The UTC periods as numbers: a day is its <see cref="DateOnly.DayNumber"/>, a month <c>year * 12 + month - 1</c>.</summary>
internal static class UsagePeriodIndex
{
    public static int Day(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime).DayNumber;

    public static int Month(DateTimeOffset at) => (at.UtcDateTime.Year * 12) + at.UtcDateTime.Month - 1;

    public static int Of(UsagePeriod period, DateTimeOffset at) => period == UsagePeriod.Day ? Day(at) : Month(at);

    /// <summary>Adds one call's usage to its day's and its month's rows.</summary>
    public static void AddTo(Dictionary<UsageRowKey, UsageCounters> rows, UsageEntry usage, DateTimeOffset at)
    {
        var counters = UsageCounters.From(usage);
        Add(rows, new UsageRowKey(usage.KeyId, UsagePeriod.Day, Day(at), usage.Model, usage.Provider), counters);
        Add(rows, new UsageRowKey(usage.KeyId, UsagePeriod.Month, Month(at), usage.Model, usage.Provider), counters);
    }

    public static void Add(Dictionary<UsageRowKey, UsageCounters> rows, UsageRowKey key, UsageCounters counters, int sign = 1)
    {
        if (!rows.TryGetValue(key, out var row))
        {
            row = new UsageCounters();
            rows[key] = row;
        }

        row.Add(counters, sign);
    }
}

/// <summary>
/// What was recorded but is not in the database yet (queued, or in a batch being written), added to what the database
/// answers so budgets see every call at once. A seqlock tells a reader whether a batch was committed while it read the
/// database: <see cref="Generation"/> is odd while a batch is being written, and changes when one ends.
/// </summary>
internal sealed class UnwrittenUsage
{
    private readonly Lock _lock = new();
    private readonly Dictionary<UsageRowKey, UsageCounters> _rows = [];
    private long _generation;

    public long Generation
    {
        get
        {
            lock (_lock)
            {
                return _generation;
            }
        }
    }

    public void Add(UsageEntry usage, DateTimeOffset at)
    {
        lock (_lock)
        {
            UsagePeriodIndex.AddTo(_rows, usage, at);
        }
    }

    /// <summary>A batch is about to be written.</summary>
    public void BeginWrite()
    {
        lock (_lock)
        {
            _generation++;
        }
    }

    /// <summary>A batch was written (<paramref name="written"/>, then no longer unwritten) or failed (null).</summary>
    public void EndWrite(Dictionary<UsageRowKey, UsageCounters>? written)
    {
        lock (_lock)
        {
            if (written is not null)
            {
                foreach (var (key, counters) in written)
                {
                    UsagePeriodIndex.Add(_rows, key, counters, -1);
                    if (_rows[key].Requests <= 0)
                    {
                        _rows.Remove(key);
                    }
                }
            }

            _generation++;
        }
    }

    /// <summary>A key's unwritten tokens and cost in one period, with the generation they were read at.</summary>
    public (long Generation, UsageTotals Totals) Totals(string keyId, UsagePeriod period, int index)
    {
        lock (_lock)
        {
            long tokens = 0;
            decimal cost = 0;
            foreach (var (key, counters) in _rows)
            {
                if (key.Period == period && key.Index == index && string.Equals(key.KeyId, keyId, StringComparison.Ordinal))
                {
                    tokens += counters.PromptTokens + counters.CompletionTokens;
                    cost += counters.Cost;
                }
            }

            return (_generation, new UsageTotals(tokens, cost));
        }
    }

    /// <summary>The unwritten rows of one key (or all) in one period, copied.</summary>
    public (long Generation, Dictionary<UsageRowKey, UsageCounters> Rows) Rows(string? keyId, UsagePeriod period, int index)
    {
        lock (_lock)
        {
            var rows = new Dictionary<UsageRowKey, UsageCounters>();
            foreach (var (key, counters) in _rows)
            {
                if (key.Period == period && key.Index == index && (keyId is null || string.Equals(key.KeyId, keyId, StringComparison.Ordinal)))
                {
                    UsagePeriodIndex.Add(rows, key, counters);
                }
            }

            return (_generation, rows);
        }
    }
}
