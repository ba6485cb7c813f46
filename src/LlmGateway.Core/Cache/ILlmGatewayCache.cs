namespace LlmGateway;

/// <summary>Administration of the gateway's response cache (<c>LlmGateway:Cache</c>), resolved from the service
/// provider that <c>AddLlmGateway</c> configured.</summary>
public interface ILlmGatewayCache
{
    /// <summary>Removes the cached responses that <paramref name="filter"/> matches everywhere they are kept: this
    /// instance's memory, every instance's memory and Redis when <c>LlmGateway:Redis</c> is set, and the semantic
    /// strategy's similarity index.</summary>
    /// <param name="filter">Which entries to remove.</param>
    /// <param name="cancellationToken">The token to cancel the purge.</param>
    /// <returns>How many entries were removed.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="filter"/> is null.</exception>
    ValueTask<long> PurgeAsync(CachePurgeFilter filter, CancellationToken cancellationToken = default);
}
