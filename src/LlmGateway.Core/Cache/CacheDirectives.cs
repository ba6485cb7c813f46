namespace LlmGateway;

/// <summary>
/// What one request asks of the response cache, on top of <c>LlmGateway:Cache</c>: an HTTP host reads it from
/// <c>Cache-Control: no-cache</c>, <c>no-store</c> and <c>x-llmgateway-cache-ttl</c>. The default asks nothing.
/// </summary>
/// <param name="NoCache">Whether to answer fresh from the upstream rather than from the cache (the answer is still
/// stored, unless <paramref name="NoStore"/>).</param>
/// <param name="NoStore">Whether to keep this answer out of the cache.</param>
/// <param name="Ttl">How long to keep this answer, instead of the configured lifetime; null for the configured one.</param>
public readonly record struct CacheDirectives(bool NoCache, bool NoStore, TimeSpan? Ttl);
