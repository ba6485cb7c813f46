namespace LlmGateway;

/// <summary>Usage totals of one key, model and provider instance over a period.</summary>
/// <param name="KeyId">The gateway key's id (<see cref="StoredKey.Id"/>, a configured key's name, or <c>in-process</c>).</param>
/// <param name="Model">The model that answered.</param>
/// <param name="Provider">The provider instance that answered.</param>
public sealed record UsageEntry(string KeyId, string Model, string Provider)
{
    /// <summary>Gets the number of requests.</summary>
    public long Requests { get; init; }

    /// <summary>Gets the prompt (input) tokens.</summary>
    public long PromptTokens { get; init; }

    /// <summary>Gets the completion (output) tokens.</summary>
    public long CompletionTokens { get; init; }

    /// <summary>Gets the prompt tokens served from the provider's prompt cache (part of <see cref="PromptTokens"/>).</summary>
    public long CachedTokens { get; init; }

    /// <summary>Gets the reasoning tokens (part of <see cref="CompletionTokens"/>).</summary>
    public long ReasoningTokens { get; init; }

    /// <summary>Gets the cost in US dollars from the catalog's prices (cached input priced apart); 0 for unpriced models.</summary>
    public decimal Cost { get; init; }

    /// <summary>Gets how many of <see cref="Requests"/> were counted from an estimate, their upstream having reported no
    /// usage (a stream cut before its usage chunk).</summary>
    public long EstimatedRequests { get; init; }
}

/// <summary>A key's totals over a period, what budgets are checked against.</summary>
/// <param name="Tokens">Prompt plus completion tokens.</param>
/// <param name="Cost">Cost in US dollars.</param>
public readonly record struct UsageTotals(long Tokens, decimal Cost);

/// <summary>The periods usage is kept by, in UTC.</summary>
public enum UsagePeriod
{
    /// <summary>A UTC calendar day.</summary>
    Day,

    /// <summary>A UTC calendar month.</summary>
    Month,
}

/// <summary>
/// Usage counters per key, model and provider instance, by UTC day and month. Budgets are checked against
/// <see cref="GetTotalsAsync"/> before each call; the admin API's usage endpoint lists <see cref="ListAsync"/>.
/// </summary>
/// <remarks>
/// <para>The default store is this process's memory (lost at restart); <c>LlmGateway.Redis</c>'s <c>AddRedis()</c>
/// makes every instance add to the same totals. Register your own implementation as a singleton to keep usage
/// elsewhere; the gateway adds its default only when none is registered.</para>
/// <para>An implementation must be thread-safe, and each <see cref="AddAsync"/> must count once in both the day and the
/// month containing its time (an entry whose <see cref="UsageEntry.Requests"/> is 0 counts as one request). A budget
/// holds only as well as <see cref="GetTotalsAsync"/> reflects what was added: a store that buffers writes must add
/// what it holds to the totals it answers. No member should throw because its storage is away: usage is recorded after
/// the call was made, so a store keeps it locally until its storage is back, and answers totals from what it knows.</para>
/// </remarks>
public interface IUsageStore
{
    /// <summary>Adds one call's usage to the day and month containing <paramref name="at"/>.</summary>
    /// <param name="usage">The call's usage.</param>
    /// <param name="at">When the call was made.</param>
    /// <param name="cancellationToken">Not used by the built-in stores: a finished call's usage is recorded even when its
    /// caller has gone.</param>
    /// <returns>A task that completes when the usage is recorded.</returns>
    ValueTask AddAsync(UsageEntry usage, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Gets a key's total tokens and cost in the period containing <paramref name="at"/>.</summary>
    /// <param name="keyId">The key's id.</param>
    /// <param name="period">The period.</param>
    /// <param name="at">A time in the period.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The totals; zero when nothing was recorded.</returns>
    ValueTask<UsageTotals> GetTotalsAsync(string keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken);

    /// <summary>Lists the entries of one key (or every key, when null) in the period containing <paramref name="at"/>,
    /// one per key, model and provider, ordered by key, model and provider (ordinal).</summary>
    /// <param name="keyId">The key's id, or null for every key.</param>
    /// <param name="period">The period.</param>
    /// <param name="at">A time in the period.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The entries.</returns>
    ValueTask<IReadOnlyList<UsageEntry>> ListAsync(string? keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken);
}
