namespace LlmGateway.Internal;

/// <summary>STUB: implemented by the usage work.</summary>
internal sealed class MemoryUsageStore : IUsageStore
{
    public ValueTask AddAsync(UsageEntry usage, DateTimeOffset at, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask<UsageTotals> GetTotalsAsync(string keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask<IReadOnlyList<UsageEntry>> ListAsync(string? keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken) => throw new NotImplementedException();
}

/// <summary>STUB: implemented by the usage work.</summary>
internal sealed class RedisUsageStore : IUsageStore
{
    public ValueTask AddAsync(UsageEntry usage, DateTimeOffset at, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask<UsageTotals> GetTotalsAsync(string keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask<IReadOnlyList<UsageEntry>> ListAsync(string? keyId, UsagePeriod period, DateTimeOffset at, CancellationToken cancellationToken) => throw new NotImplementedException();
}
