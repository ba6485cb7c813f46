namespace LlmGateway.EntityFrameworkCore.Internal;

/// <summary>A gateway key: its id, its hash (unique: what a lookup searches by) and the whole record as JSON.</summary>
internal sealed class KeyRow
{
    public required string Id { get; set; }

    public required string Hash { get; set; }

    public required string Record { get; set; }
}

/// <summary>Who created a server-side resource; <see cref="CreatedAt"/> in Unix milliseconds (the record lives 30 days).</summary>
internal sealed class ResourceOwnerRow
{
    public int Kind { get; set; }

    public required string Id { get; set; }

    public required string Owner { get; set; }

    public required string Provider { get; set; }

    public long CreatedAt { get; set; }
}

/// <summary>Usage totals of one key, model and provider in one UTC day or month. <see cref="PeriodIndex"/> is the day's
/// <see cref="DateOnly.DayNumber"/> or the month's <c>year * 12 + month - 1</c>; <see cref="CostNanos"/> is the cost in
/// billionths of a US dollar (an integer, so both databases add it exactly).</summary>
internal sealed class UsageRow
{
    public required string KeyId { get; set; }

    public int Period { get; set; }

    public int PeriodIndex { get; set; }

    public required string Model { get; set; }

    public required string Provider { get; set; }

    public long Requests { get; set; }

    public long PromptTokens { get; set; }

    public long CompletionTokens { get; set; }

    public long CachedTokens { get; set; }

    public long ReasoningTokens { get; set; }

    public long EstimatedRequests { get; set; }

    public long CostNanos { get; set; }
}
