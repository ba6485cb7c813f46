using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace LlmGateway.Redis.Internal;

/// <summary>
/// The UTC periods usage is kept by, as numbers (a day is its <see cref="DateOnly.DayNumber"/>, a month
/// <c>year * 12 + month - 1</c>) and by name in Redis keys (<c>d:2026-11-27</c>, <c>m:2026-11</c>).
/// </summary>
internal static class RedisUsagePeriods
{
    public static int DayIndex(DateTimeOffset at) => DateOnly.FromDateTime(at.UtcDateTime).DayNumber;

    public static int MonthIndex(DateTimeOffset at) => MonthOf(DateOnly.FromDateTime(at.UtcDateTime));

    public static int Index(UsagePeriod period, DateTimeOffset at) => period == UsagePeriod.Day ? DayIndex(at) : MonthIndex(at);

    public static int MonthOfDay(int day) => MonthOf(DateOnly.FromDayNumber(day));

    /// <summary>The period's name in Redis keys: <c>d:yyyy-MM-dd</c> or <c>m:yyyy-MM</c>.</summary>
    public static string Name(UsagePeriod period, int index) => period == UsagePeriod.Day
        ? string.Create(CultureInfo.InvariantCulture, $"d:{DateOnly.FromDayNumber(index):yyyy-MM-dd}")
        : string.Create(CultureInfo.InvariantCulture, $"m:{index / 12:D4}-{(index % 12) + 1:D2}");

    /// <summary>Listing order: key, model, provider (ordinal), so listings are stable.</summary>
    public static List<UsageEntry> Sorted(IEnumerable<UsageEntry> entries) =>
        [.. entries.OrderBy(static e => e.KeyId, StringComparer.Ordinal).ThenBy(static e => e.Model, StringComparer.Ordinal).ThenBy(static e => e.Provider, StringComparer.Ordinal)];

    private static int MonthOf(DateOnly date) => (date.Year * 12) + date.Month - 1;
}

/// <summary>One entry of one period, as the Redis store's pending buffer hands it over.</summary>
internal readonly record struct PendingEntry(UsagePeriod Period, int Index, UsageEntry Entry);

/// <summary>
/// The Redis usage store's pending buffer: usage recorded while Redis is away, summed per period and (key, model,
/// provider), with each key's totals beside it so a budget check during an outage is one look-up. Short-lived (a flush
/// takes the whole buffer), so nothing is pruned; thread-safe under one lock, taken only while Redis is away or a flush
/// runs.
/// </summary>
internal sealed class PendingUsage
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(UsagePeriod Period, int Index, string KeyId, string Model, string Provider), UsageEntry> _entries = [];
    private readonly Dictionary<(UsagePeriod Period, int Index, string KeyId), UsageTotals> _totals = [];

    /// <summary>Adds <paramref name="usage"/> (as <paramref name="requests"/> requests) to one period.</summary>
    public void Add(UsagePeriod period, int index, UsageEntry usage, long requests)
    {
        var added = usage with { Requests = requests };
        lock (_lock)
        {
            var key = (period, index, usage.KeyId, usage.Model, usage.Provider);
            _entries[key] = _entries.TryGetValue(key, out var held) ? RedisUsageStore.Sum(held, added) : added;
            var totalsKey = (period, index, usage.KeyId);
            var totals = _totals.GetValueOrDefault(totalsKey);
            _totals[totalsKey] = new UsageTotals(totals.Tokens + usage.PromptTokens + usage.CompletionTokens, totals.Cost + usage.Cost);
        }
    }

    public UsageTotals Totals(string keyId, UsagePeriod period, int index)
    {
        lock (_lock)
        {
            return _totals.GetValueOrDefault((period, index, keyId));
        }
    }

    /// <summary>Appends the entries of one key (or all, when null) in one period, unsorted.</summary>
    public void CopyEntries(string? keyId, UsagePeriod period, int index, List<UsageEntry> entries)
    {
        lock (_lock)
        {
            foreach (var (key, entry) in _entries)
            {
                if (key.Period == period && key.Index == index && (keyId is null || string.Equals(key.KeyId, keyId, StringComparison.Ordinal)))
                {
                    entries.Add(entry);
                }
            }
        }
    }

    /// <summary>Appends every entry of every period.</summary>
    public void CopyAll(List<PendingEntry> entries)
    {
        lock (_lock)
        {
            foreach (var (key, entry) in _entries)
            {
                entries.Add(new PendingEntry(key.Period, key.Index, entry));
            }
        }
    }
}

/// <summary>
/// Usage in Redis, shared by every gateway instance naming the same Redis and prefix.
/// </summary>
/// <remarks>
/// <para>Layout. A hash per key and period, <c>{prefix}usage:{period}:{keyId}</c> (period <c>d:2026-11-27</c> or
/// <c>m:2026-11</c>, UTC), with fields <c>{model}|{provider}|{counter}</c> for the counters <c>requests</c>,
/// <c>prompt</c>, <c>completion</c>, <c>cached</c>, <c>reasoning</c>, <c>estimated</c> and <c>cost</c>, plus the key's
/// totals <c>_|_|tokens</c> (prompt + completion) and <c>_|_|cost</c>, so a budget check is one <c>HMGET</c>. A set
/// <c>{prefix}usage:keys:{period}</c> holds the key ids of a period, for listing every key. Day keys expire 40 days,
/// month keys 400 days after their last write. Counters that would add 0 are not written (a missing field reads 0).</para>
/// <para>Cost is kept as integer nano-dollars (10⁻⁹ $, rounded per call, half away from zero), so <c>HINCRBY</c> adds
/// exactly and a key can count up to about 9.2 billion dollars a period; floats would drift.</para>
/// <para>Names. In a model or provider name <c>%</c> becomes <c>%25</c> and <c>|</c> becomes <c>%7C</c>, and a name
/// that is exactly <c>_</c> becomes <c>%5F</c>, so a field splits unambiguously on its two <c>|</c> and no entry's
/// field can be a totals field.</para>
/// <para>Writes. One <see cref="AddAsync"/> is one Lua script call that adds the day and the month, atomically (both or
/// neither: it checks its keys' types before writing). The script touches several keys, so a Redis Cluster is not
/// supported (a single server or a replicated one is). A write Redis refuses (a key of another type, a read-only replica)
/// is logged and kept pending like one made while Redis is away, without marking Redis as away.</para>
/// <para>When Redis is away. A write that fails for want of Redis reports the failure and goes to a local pending buffer;
/// reads answer the last totals read from Redis for that key and period plus what is pending (this instance's usage is
/// never lost from a budget, other instances' usage during the outage is not seen), and a listing shows only what is
/// pending. When Redis is back (<see cref="RedisConnection.Restored"/>, or any later successful command of this store)
/// the pending buffer is taken atomically and added to Redis in scripts of up to <see cref="ItemsPerScript"/> entries,
/// each atomic; what a failed script did not add goes back to the buffer, so nothing is counted twice. The one gap,
/// common to every Redis client: a command Redis ran whose reply was lost counts again from the buffer. Pending usage
/// still in memory when the process stops is lost.</para>
/// </remarks>
internal sealed class RedisUsageStore : IUsageStore, IDisposable
{
    /// <summary>Entries per flush script: large enough to catch up in few round trips, small enough not to hold Redis.</summary>
    public const int ItemsPerScript = 200;

    private const int ValuesPerItem = 11;
    private const long DayExpirySeconds = 40L * 24 * 3600;
    private const long MonthExpirySeconds = 400L * 24 * 3600;
    private const decimal NanosPerDollar = 1_000_000_000m;
    private const string TotalsFieldPrefix = "_|_|";

    // Per item i (KEYS[2i-1] the hash, KEYS[2i] the period's key set), ARGV: keyId, field prefix, requests, prompt,
    // completion, cached, reasoning, estimated, cost (nano-dollars), tokens, expiry (s). Values are integer strings, passed
    // to HINCRBY as they are (Lua numbers are doubles). Redis does not undo a script that fails halfway, so the types of
    // all its keys are checked before the first write: a script refused for a key of another type has added nothing.
    private const string AddScript = """
        for i = 1, #KEYS, 2 do
          local t = redis.call('TYPE', KEYS[i]).ok
          if t ~= 'none' and t ~= 'hash' then return redis.error_reply('WRONGTYPE ' .. KEYS[i] .. ' is not a hash') end
          t = redis.call('TYPE', KEYS[i + 1]).ok
          if t ~= 'none' and t ~= 'set' then return redis.error_reply('WRONGTYPE ' .. KEYS[i + 1] .. ' is not a set') end
        end
        local a = 0
        for i = 1, #KEYS, 2 do
          local h = KEYS[i]
          local p = ARGV[a + 2]
          redis.call('HINCRBY', h, p .. 'requests', ARGV[a + 3])
          if ARGV[a + 4] ~= '0' then redis.call('HINCRBY', h, p .. 'prompt', ARGV[a + 4]) end
          if ARGV[a + 5] ~= '0' then redis.call('HINCRBY', h, p .. 'completion', ARGV[a + 5]) end
          if ARGV[a + 6] ~= '0' then redis.call('HINCRBY', h, p .. 'cached', ARGV[a + 6]) end
          if ARGV[a + 7] ~= '0' then redis.call('HINCRBY', h, p .. 'reasoning', ARGV[a + 7]) end
          if ARGV[a + 8] ~= '0' then redis.call('HINCRBY', h, p .. 'estimated', ARGV[a + 8]) end
          if ARGV[a + 9] ~= '0' then
            redis.call('HINCRBY', h, p .. 'cost', ARGV[a + 9])
            redis.call('HINCRBY', h, '_|_|cost', ARGV[a + 9])
          end
          if ARGV[a + 10] ~= '0' then redis.call('HINCRBY', h, '_|_|tokens', ARGV[a + 10]) end
          redis.call('SADD', KEYS[i + 1], ARGV[a + 1])
          redis.call('EXPIRE', h, ARGV[a + 11])
          redis.call('EXPIRE', KEYS[i + 1], ARGV[a + 11])
          a = a + 11
        end
        return a
        """;

    private static readonly RedisValue[] s_totalsFields = [TotalsFieldPrefix + "tokens", TotalsFieldPrefix + "cost"];

    private readonly RedisConnection _redis;
    private readonly ILogger<RedisUsageStore> _logger;
    private readonly Lock _pendingLock = new();
    private readonly ConcurrentDictionary<TotalsKey, UsageTotals> _lastKnown = new();
    private PendingUsage _pending = new();
    private volatile bool _hasPending;
    private int _flushing;
    private int _lastKnownDay;
    private PeriodName? _dayName;
    private PeriodName? _monthName;

    public RedisUsageStore(RedisConnection redis, ILogger<RedisUsageStore> logger)
    {
        _redis = redis;
        _logger = logger;
        _redis.Restored += OnRestored;
    }

    /// <summary>Gets a value indicating whether usage waits in memory for Redis.</summary>
    internal bool HasPending => _hasPending;

    /// <summary>Gets the last flush started (it never faults), so tests can wait for it.</summary>
    internal Task LastFlush { get; private set; } = Task.CompletedTask;

    public async ValueTask AddAsync(UsageEntry usage, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(usage);

        // The usage of a finished call is recorded even if the caller has gone: the token is not used.
        var requests = usage.Requests > 0 ? usage.Requests : 1;
        var day = RedisUsagePeriods.DayIndex(at);
        var month = RedisUsagePeriods.MonthIndex(at);
        try
        {
            var database = await _redis.GetDatabaseAsync();
            var keys = new RedisKey[4];
            var values = new RedisValue[2 * ValuesPerItem];
            var fieldPrefix = FieldPrefix(usage.Model, usage.Provider);
            Fill(keys, values, 0, UsagePeriod.Day, day, usage, requests, fieldPrefix);
            Fill(keys, values, 1, UsagePeriod.Month, month, usage, requests, fieldPrefix);
            await database.ScriptEvaluateAsync(AddScript, keys, values);
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            AddPending(usage, requests, day, month);
            return;
        }
        catch (RedisServerException ex)
        {
            _logger.UsageRedisRefused("write", ex);
            AddPending(usage, requests, day, month);
            return;
        }

        Succeeded();
    }

    public async ValueTask<UsageTotals> GetTotalsAsync(string keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        var index = RedisUsagePeriods.Index(period, at);
        var key = new TotalsKey(keyId, period, index);
        UsageTotals stored, pending;
        try
        {
            var database = await _redis.GetDatabaseAsync();
            var values = await database.HashGetAsync(HashKey(keyId, period, index), s_totalsFields);
            stored = new UsageTotals(ToLong(values[0]), ToLong(values[1]) / NanosPerDollar);

            // Pending is read after Redis, and a flush takes its batch out of pending before writing it: a batch is never
            // counted twice (at worst one read during a flush misses it).
            pending = _hasPending ? Volatile.Read(ref _pending).Totals(keyId, period, index) : default;
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
            return Degraded(key);
        }
        catch (RedisServerException ex)
        {
            _logger.UsageRedisRefused("read", ex);
            return Degraded(key);
        }

        Remember(key, stored, at);
        Succeeded();
        return new UsageTotals(stored.Tokens + pending.Tokens, stored.Cost + pending.Cost);
    }

    public async ValueTask<IReadOnlyList<UsageEntry>> ListAsync(string? keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken)
    {
        var index = RedisUsagePeriods.Index(period, at);
        var entries = new List<UsageEntry>();
        var pending = new List<UsageEntry>();
        var reached = false;
        try
        {
            var database = await _redis.GetDatabaseAsync();
            if (keyId is not null)
            {
                var fields = await database.HashGetAllAsync(HashKey(keyId, period, index));
                Parse(keyId, fields, entries);
            }
            else
            {
                var members = await database.SetMembersAsync(string.Concat(_redis.Prefix, "usage:keys:", PeriodNameOf(period, index)));
                var reads = new Task<HashEntry[]>[members.Length];
                for (var i = 0; i < members.Length; i++)
                {
                    reads[i] = database.HashGetAllAsync(HashKey(members[i].ToString(), period, index));
                }

                await Task.WhenAll(reads);
                for (var i = 0; i < members.Length; i++)
                {
                    Parse(members[i].ToString(), await reads[i], entries);
                }
            }

            Volatile.Read(ref _pending).CopyEntries(keyId, period, index, pending);
            reached = true;
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            _redis.ReportFailure(ex);
        }
        catch (RedisServerException ex)
        {
            _logger.UsageRedisRefused("read", ex);
        }

        if (reached)
        {
            Succeeded();
        }
        else
        {
            entries.Clear();
            Volatile.Read(ref _pending).CopyEntries(keyId, period, index, pending);
        }

        Merge(entries, pending);
        return RedisUsagePeriods.Sorted(entries);
    }

    public void Dispose() => _redis.Restored -= OnRestored;

    /// <summary>A model or provider name made safe for a field (see the class remarks).</summary>
    internal static string Escape(string name)
    {
        if (name == "_")
        {
            return "%5F";
        }

        return name.AsSpan().IndexOfAny('|', '%') < 0
            ? name
            : name.Replace("%", "%25", StringComparison.Ordinal).Replace("|", "%7C", StringComparison.Ordinal);
    }

    internal static string Unescape(string name) => name.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(name) : name;

    private static string FieldPrefix(string model, string provider) => string.Concat(Escape(model), "|", Escape(provider), "|");

    private static long ToLong(RedisValue value) => value.TryParse(out long result) ? result : 0;

    private static long Nanos(decimal cost)
    {
        if (cost <= 0)
        {
            return 0;
        }

        return cost >= long.MaxValue / NanosPerDollar
            ? long.MaxValue
            : (long)decimal.Round(cost * NanosPerDollar, MidpointRounding.AwayFromZero);
    }

    /// <summary>Adds a key's fields into entries, one per model and provider; skips totals and unknown fields.</summary>
    private static void Parse(string keyId, HashEntry[] fields, List<UsageEntry> entries)
    {
        Dictionary<(string Model, string Provider), EntryBuilder>? builders = null;
        foreach (var field in fields)
        {
            var name = field.Name.ToString();
            var last = name.LastIndexOf('|');
            var first = name.IndexOf('|', StringComparison.Ordinal);
            if (first < 0 || first == last || name.StartsWith(TotalsFieldPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            builders ??= [];
            var id = (Unescape(name[..first]), Unescape(name[(first + 1)..last]));
            if (!builders.TryGetValue(id, out var builder))
            {
                builders[id] = builder = new EntryBuilder();
            }

            builder.Set(name.AsSpan(last + 1), ToLong(field.Value));
        }

        if (builders is null)
        {
            return;
        }

        foreach (var ((model, provider), builder) in builders)
        {
            entries.Add(builder.ToEntry(keyId, model, provider));
        }
    }

    /// <summary>Adds pending entries into the entries read from Redis.</summary>
    private static void Merge(List<UsageEntry> entries, List<UsageEntry> pending)
    {
        var count = entries.Count;
        foreach (var extra in pending)
        {
            var merged = false;
            for (var i = 0; i < count && !merged; i++)
            {
                var entry = entries[i];
                if (entry.KeyId == extra.KeyId && entry.Model == extra.Model && entry.Provider == extra.Provider)
                {
                    entries[i] = Sum(entry, extra);
                    merged = true;
                }
            }

            if (!merged)
            {
                entries.Add(extra);
            }
        }
    }

    internal static UsageEntry Sum(UsageEntry a, UsageEntry b) => a with
    {
        Requests = a.Requests + b.Requests,
        PromptTokens = a.PromptTokens + b.PromptTokens,
        CompletionTokens = a.CompletionTokens + b.CompletionTokens,
        CachedTokens = a.CachedTokens + b.CachedTokens,
        ReasoningTokens = a.ReasoningTokens + b.ReasoningTokens,
        EstimatedRequests = a.EstimatedRequests + b.EstimatedRequests,
        Cost = a.Cost + b.Cost,
    };

    private string HashKey(string keyId, UsagePeriod period, int index) =>
        string.Concat(_redis.Prefix, "usage:", PeriodNameOf(period, index), ":", keyId);

    /// <summary>The period's name, from a one-entry cache per kind: nearly every call is for today.</summary>
    private string PeriodNameOf(UsagePeriod period, int index)
    {
        ref var cache = ref period == UsagePeriod.Day ? ref _dayName : ref _monthName;
        var cached = Volatile.Read(ref cache);
        if (cached is not null && cached.Index == index)
        {
            return cached.Name;
        }

        var name = RedisUsagePeriods.Name(period, index);
        Volatile.Write(ref cache, new PeriodName(index, name));
        return name;
    }

    private void Fill(RedisKey[] keys, RedisValue[] values, int item, UsagePeriod period, int index, UsageEntry usage, long requests, string fieldPrefix)
    {
        var name = PeriodNameOf(period, index);
        keys[2 * item] = string.Concat(_redis.Prefix, "usage:", name, ":", usage.KeyId);
        keys[(2 * item) + 1] = string.Concat(_redis.Prefix, "usage:keys:", name);
        var prompt = Math.Max(0, usage.PromptTokens);
        var completion = Math.Max(0, usage.CompletionTokens);
        var v = item * ValuesPerItem;
        values[v] = usage.KeyId;
        values[v + 1] = fieldPrefix;
        values[v + 2] = requests;
        values[v + 3] = prompt;
        values[v + 4] = completion;
        values[v + 5] = Math.Max(0, usage.CachedTokens);
        values[v + 6] = Math.Max(0, usage.ReasoningTokens);
        values[v + 7] = Math.Max(0, usage.EstimatedRequests);
        values[v + 8] = Nanos(usage.Cost);
        values[v + 9] = prompt + completion;
        values[v + 10] = period == UsagePeriod.Day ? DayExpirySeconds : MonthExpirySeconds;
    }

    private UsageTotals Degraded(TotalsKey key)
    {
        var known = _lastKnown.TryGetValue(key, out var totals) ? totals : default;
        var pending = Volatile.Read(ref _pending).Totals(key.KeyId, key.Period, key.Index);
        return new UsageTotals(known.Tokens + pending.Tokens, known.Cost + pending.Cost);
    }

    /// <summary>Keeps the totals Redis answered, for reads while it is away; drops past periods once a day.</summary>
    private void Remember(TotalsKey key, UsageTotals totals, DateTimeOffset at)
    {
        if (!_lastKnown.TryGetValue(key, out var known) || known != totals)
        {
            _lastKnown[key] = totals;
        }

        var day = RedisUsagePeriods.DayIndex(at);
        var last = Volatile.Read(ref _lastKnownDay);
        if (day <= last || Interlocked.CompareExchange(ref _lastKnownDay, day, last) != last)
        {
            return;
        }

        var month = RedisUsagePeriods.MonthOfDay(day);
        foreach (var (known2, _) in _lastKnown)
        {
            if (known2.Index < (known2.Period == UsagePeriod.Day ? day : month))
            {
                _lastKnown.TryRemove(known2, out _);
            }
        }
    }

    private void AddPending(UsageEntry usage, long requests, int day, int month)
    {
        lock (_pendingLock)
        {
            _pending.Add(UsagePeriod.Day, day, usage, requests);
            _pending.Add(UsagePeriod.Month, month, usage, requests);
            _hasPending = true;
        }
    }

    /// <summary>After a successful command: tells the connection (which raises <see cref="RedisConnection.Restored"/>
    /// after an outage) and flushes what is pending, if anything.</summary>
    private void Succeeded()
    {
        _redis.ReportSuccess();
        if (_hasPending)
        {
            StartFlush();
        }
    }

    private void OnRestored() => StartFlush();

    private void StartFlush()
    {
        if (_hasPending && Volatile.Read(ref _flushing) == 0)
        {
            LastFlush = FlushPendingAsync();
        }
    }

    /// <summary>Adds the pending usage to Redis; one flush at a time; never throws (it runs unobserved).</summary>
    private async Task FlushPendingAsync()
    {
        while (_hasPending && Interlocked.CompareExchange(ref _flushing, 1, 0) == 0)
        {
            bool written;
            try
            {
                written = await FlushOnceAsync();
            }
            finally
            {
                Volatile.Write(ref _flushing, 0);
            }

            if (!written)
            {
                return;
            }
        }
    }

    private async Task<bool> FlushOnceAsync()
    {
        while (true)
        {
            PendingUsage batch;
            lock (_pendingLock)
            {
                if (!_hasPending)
                {
                    return true;
                }

                batch = _pending;
                _pending = new PendingUsage();
                _hasPending = false;
            }

            var items = new List<PendingEntry>();
            batch.CopyAll(items);
            var written = 0;
            try
            {
                var database = await _redis.GetDatabaseAsync();
                while (written < items.Count)
                {
                    var count = Math.Min(ItemsPerScript, items.Count - written);
                    var keys = new RedisKey[2 * count];
                    var values = new RedisValue[ValuesPerItem * count];
                    for (var i = 0; i < count; i++)
                    {
                        var (period, index, entry) = items[written + i];
                        Fill(keys, values, i, period, index, entry, entry.Requests, FieldPrefix(entry.Model, entry.Provider));
                    }

                    await database.ScriptEvaluateAsync(AddScript, keys, values);
                    written += count;
                }
            }
            catch (Exception ex)
            {
                if (RedisConnection.IsUnavailable(ex))
                {
                    _redis.ReportFailure(ex);
                }
                else if (ex is RedisServerException)
                {
                    _logger.UsageRedisRefused("write", ex);
                }
                else
                {
                    _logger.UsageFlushCrashed(ex);
                }

                PutBack(items, written);
                return false;
            }

            _logger.UsagePendingFlushed(items.Count);
            _redis.ReportSuccess();
        }
    }

    /// <summary>Returns the entries a failed flush did not add to the pending buffer.</summary>
    private void PutBack(List<PendingEntry> items, int from)
    {
        lock (_pendingLock)
        {
            for (var i = from; i < items.Count; i++)
            {
                var (period, index, entry) = items[i];
                _pending.Add(period, index, entry, entry.Requests);
            }

            _hasPending |= from < items.Count;
        }
    }

    private readonly record struct TotalsKey(string KeyId, UsagePeriod Period, int Index);

    private sealed record PeriodName(int Index, string Name);

    private sealed class EntryBuilder
    {
        private long _requests;
        private long _prompt;
        private long _completion;
        private long _cached;
        private long _reasoning;
        private long _estimated;
        private long _costNanos;

        public void Set(ReadOnlySpan<char> counter, long value)
        {
            switch (counter)
            {
                case "requests":
                    _requests = value;
                    break;
                case "prompt":
                    _prompt = value;
                    break;
                case "completion":
                    _completion = value;
                    break;
                case "cached":
                    _cached = value;
                    break;
                case "reasoning":
                    _reasoning = value;
                    break;
                case "estimated":
                    _estimated = value;
                    break;
                case "cost":
                    _costNanos = value;
                    break;
            }
        }

        public UsageEntry ToEntry(string keyId, string model, string provider) => new(keyId, model, provider)
        {
            Requests = _requests,
            PromptTokens = _prompt,
            CompletionTokens = _completion,
            CachedTokens = _cached,
            ReasoningTokens = _reasoning,
            EstimatedRequests = _estimated,
            Cost = _costNanos / NanosPerDollar,
        };
    }
}
