namespace LlmGateway;

/// <summary>The response cache's verdict on one response, which an HTTP host sends as <c>X-Cache</c>,
/// <c>X-Cache-Key</c> and <c>X-Cache-TTL</c>.</summary>
/// <param name="Hit">Whether the answer came from the cache.</param>
/// <param name="Key">The cache key the answer is stored, or was found, under.</param>
/// <param name="Ttl">How long the entry lives: what is left of it on a hit, its whole lifetime on a miss.</param>
public sealed record CacheReport(bool Hit, string Key, TimeSpan Ttl);
