namespace LlmGateway.Internal;

/// <summary>Token counts of one call, as the upstream reported them (or estimated, when it did not).</summary>
internal readonly record struct UsageCounts(long PromptTokens, long CompletionTokens, long CachedTokens, long ReasoningTokens)
{
    public long TotalTokens => PromptTokens + CompletionTokens;
}

/// <summary>Usage totals of one key, model and provider instance over a period.</summary>
internal sealed record UsageEntry(string KeyId, string Model, string Provider)
{
    public long Requests { get; init; }

    public long PromptTokens { get; init; }

    public long CompletionTokens { get; init; }

    public long CachedTokens { get; init; }

    public long ReasoningTokens { get; init; }

    /// <summary>Cost in US dollars from the catalog's prices (cached input priced apart); 0 for unpriced models.</summary>
    public decimal Cost { get; init; }

    /// <summary>How many of <see cref="Requests"/> were counted from an estimate, their upstream having reported no usage
    /// (a stream cut before its usage chunk).</summary>
    public long EstimatedRequests { get; init; }
}

/// <summary>A key's totals over a period, what budgets are checked against.</summary>
internal readonly record struct UsageTotals(long Tokens, decimal Cost);

/// <summary>The periods usage is kept by, in UTC.</summary>
internal enum UsagePeriod
{
    Day,
    Month,
}

/// <summary>
/// Usage counters per key, model and provider instance, by UTC day and month: in memory in one process, in Redis
/// when <c>LlmGateway:Redis</c> is set, so every instance adds to the same totals. If Redis is down, usage is kept
/// locally and added to Redis when it is back.
/// </summary>
internal interface IUsageStore
{
    /// <summary>Adds one call's usage to the day and month containing <paramref name="at"/>.</summary>
    ValueTask AddAsync(UsageEntry usage, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>A key's total tokens and cost in the period containing <paramref name="at"/>.</summary>
    ValueTask<UsageTotals> GetTotalsAsync(string keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>The entries of one key (or every key, when null) in the period containing <paramref name="at"/>.</summary>
    ValueTask<IReadOnlyList<UsageEntry>> ListAsync(string? keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken);
}
