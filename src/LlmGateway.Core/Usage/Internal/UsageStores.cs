using System.Collections.Concurrent;
using System.Globalization;

namespace LlmGateway.Internal;

/// <summary>
/// The UTC periods usage is kept by, as numbers: a day is its <see cref="DateOnly.DayNumber"/>, a month
/// <c>year * 12 + month - 1</c>. Numbers key the in-memory buckets (no string per call); names (<c>d:2026-11-27</c>,
/// <c>m:2026-11</c>) key Redis.
/// </summary>
internal static class UsagePeriods
{
    public static int DayIndex(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime).DayNumber;

    public static int MonthIndex(DateTimeOffset at)
    {
        var utc = at.UtcDateTime;
        return (utc.Year * 12) + utc.Month - 1;
    }

    public static int Index(UsagePeriod period, DateTimeOffset at) => period == UsagePeriod.Day ? DayIndex(at) : MonthIndex(at);

    public static int MonthOfDay(int day)
    {
        var date = DateOnly.FromDayNumber(day);
        return (date.Year * 12) + date.Month - 1;
    }

    /// <summary>The period's name in Redis keys: <c>d:yyyy-MM-dd</c> or <c>m:yyyy-MM</c>.</summary>
    public static string Name(UsagePeriod period, int index) => period == UsagePeriod.Day
        ? string.Create(CultureInfo.InvariantCulture, $"d:{DateOnly.FromDayNumber(index):yyyy-MM-dd}")
        : string.Create(CultureInfo.InvariantCulture, $"m:{index / 12:D4}-{(index % 12) + 1:D2}");

    /// <summary>Listing order: key, model, provider (ordinal), so listings are stable.</summary>
    public static int Compare(UsageEntry? x, UsageEntry? y)
    {
        if (x is null || y is null)
        {
            return x is null ? (y is null ? 0 : -1) : 1;
        }

        var result = string.CompareOrdinal(x.KeyId, y.KeyId);
        if (result == 0)
        {
            result = string.CompareOrdinal(x.Model, y.Model);
        }

        return result == 0 ? string.CompareOrdinal(x.Provider, y.Provider) : result;
    }
}

/// <summary>One entry of one period, as the Redis store's pending buffer hands it over.</summary>
internal readonly record struct PeriodEntry(UsagePeriod Period, int Index, UsageEntry Entry);

/// <summary>
/// Usage in this process's memory: buckets per UTC day and month, each with counters per (key, model, provider) and per
/// key (so a budget check is two dictionary look-ups). Thread-safe: buckets and counters are created with
/// <see cref="ConcurrentDictionary{TKey,TValue}"/>, and each counter set is updated under its own lock, so concurrent
/// calls for different keys do not contend.
/// </summary>
/// <remarks>
/// Only the current month and the <see cref="RetainedMonths"/> before it are kept (days and months alike): when a
/// bucket for a newer month is created, older buckets are dropped. An entry whose <see cref="UsageEntry.Requests"/> is 0
/// counts as one request: <see cref="AddAsync"/> is one call.
/// </remarks>
internal sealed class MemoryUsageStore : IUsageStore
{
    /// <summary>Months kept before the newest one.</summary>
    public const int RetainedMonths = 2;

    private readonly ConcurrentDictionary<int, Bucket> _days = new();
    private readonly ConcurrentDictionary<int, Bucket> _months = new();
    private int _newestMonth = int.MinValue;

    /// <summary>Gets a value indicating whether nothing has been added (or all was dropped).</summary>
    internal bool IsEmpty => _days.IsEmpty && _months.IsEmpty;

    public ValueTask AddAsync(UsageEntry usage, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(usage);
        var requests = usage.Requests > 0 ? usage.Requests : 1;
        Add(UsagePeriod.Day, UsagePeriods.DayIndex(at), usage, requests);
        Add(UsagePeriod.Month, UsagePeriods.MonthIndex(at), usage, requests);
        return ValueTask.CompletedTask;
    }

    public ValueTask<UsageTotals> GetTotalsAsync(string keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken) =>
        new(Totals(keyId, period, UsagePeriods.Index(period, at)));

    public ValueTask<IReadOnlyList<UsageEntry>> ListAsync(string? keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var entries = new List<UsageEntry>();
        CopyEntries(keyId, period, UsagePeriods.Index(period, at), entries);
        entries.Sort(UsagePeriods.Compare);
        return new(entries);
    }

    /// <summary>Adds <paramref name="usage"/> (as <paramref name="requests"/> requests) to one period.</summary>
    internal void Add(UsagePeriod period, int index, UsageEntry usage, long requests)
    {
        var buckets = period == UsagePeriod.Day ? _days : _months;
        if (!buckets.TryGetValue(index, out var bucket))
        {
            bucket = buckets.GetOrAdd(index, static _ => new Bucket());
            Prune(period == UsagePeriod.Day ? UsagePeriods.MonthOfDay(index) : index);
        }

        bucket.Add(usage, requests);
    }

    internal UsageTotals Totals(string keyId, UsagePeriod period, int index)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        var buckets = period == UsagePeriod.Day ? _days : _months;
        return buckets.TryGetValue(index, out var bucket) && bucket.Keys.TryGetValue(keyId, out var counters)
            ? counters.Totals()
            : default;
    }

    /// <summary>Appends the entries of one key (or all, when null) in one period, unsorted.</summary>
    internal void CopyEntries(string? keyId, UsagePeriod period, int index, List<UsageEntry> entries)
    {
        var buckets = period == UsagePeriod.Day ? _days : _months;
        if (!buckets.TryGetValue(index, out var bucket))
        {
            return;
        }

        foreach (var (key, counters) in bucket.Entries)
        {
            if (keyId is null || string.Equals(key.KeyId, keyId, StringComparison.Ordinal))
            {
                entries.Add(counters.ToEntry(key));
            }
        }
    }

    /// <summary>Appends every entry of every period.</summary>
    internal void CopyAll(List<PeriodEntry> entries)
    {
        foreach (var (index, bucket) in _days)
        {
            foreach (var (key, counters) in bucket.Entries)
            {
                entries.Add(new PeriodEntry(UsagePeriod.Day, index, counters.ToEntry(key)));
            }
        }

        foreach (var (index, bucket) in _months)
        {
            foreach (var (key, counters) in bucket.Entries)
            {
                entries.Add(new PeriodEntry(UsagePeriod.Month, index, counters.ToEntry(key)));
            }
        }
    }

    /// <summary>Drops the buckets older than <see cref="RetainedMonths"/> before <paramref name="month"/>, when it is the
    /// newest month seen; runs when a bucket is created, so about once a day.</summary>
    private void Prune(int month)
    {
        var newest = Volatile.Read(ref _newestMonth);
        if (month <= newest || Interlocked.CompareExchange(ref _newestMonth, month, newest) != newest)
        {
            return;
        }

        var oldest = month - RetainedMonths;
        foreach (var (day, _) in _days)
        {
            if (UsagePeriods.MonthOfDay(day) < oldest)
            {
                _days.TryRemove(day, out _);
            }
        }

        foreach (var (index, _) in _months)
        {
            if (index < oldest)
            {
                _months.TryRemove(index, out _);
            }
        }
    }

    private readonly record struct EntryKey(string KeyId, string Model, string Provider);

    private sealed class Bucket
    {
        public ConcurrentDictionary<EntryKey, Counters> Entries { get; } = new();

        public ConcurrentDictionary<string, Counters> Keys { get; } = new(StringComparer.Ordinal);

        public void Add(UsageEntry usage, long requests)
        {
            var key = new EntryKey(usage.KeyId, usage.Model, usage.Provider);
            if (!Entries.TryGetValue(key, out var entry))
            {
                entry = Entries.GetOrAdd(key, static _ => new Counters());
            }

            entry.Add(usage, requests);
            if (!Keys.TryGetValue(usage.KeyId, out var totals))
            {
                totals = Keys.GetOrAdd(usage.KeyId, static _ => new Counters());
            }

            totals.Add(usage, requests);
        }
    }

    private sealed class Counters
    {
        private readonly Lock _lock = new();
        private long _requests;
        private long _prompt;
        private long _completion;
        private long _cached;
        private long _reasoning;
        private long _estimated;
        private decimal _cost;

        public void Add(UsageEntry usage, long requests)
        {
            lock (_lock)
            {
                _requests += requests;
                _prompt += usage.PromptTokens;
                _completion += usage.CompletionTokens;
                _cached += usage.CachedTokens;
                _reasoning += usage.ReasoningTokens;
                _estimated += usage.EstimatedRequests;
                _cost += usage.Cost;
            }
        }

        public UsageTotals Totals()
        {
            lock (_lock)
            {
                return new UsageTotals(_prompt + _completion, _cost);
            }
        }

        public UsageEntry ToEntry(EntryKey key)
        {
            lock (_lock)
            {
                return new UsageEntry(key.KeyId, key.Model, key.Provider)
                {
                    Requests = _requests,
                    PromptTokens = _prompt,
                    CompletionTokens = _completion,
                    CachedTokens = _cached,
                    ReasoningTokens = _reasoning,
                    EstimatedRequests = _estimated,
                    Cost = _cost,
                };
            }
        }
    }
}
