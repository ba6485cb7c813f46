using LlmGateway.Gemini.Internal;
using LlmGateway.Internal;

namespace LlmGateway;

/// <summary>
/// Creates, lists, extends and deletes Gemini context caches (<c>cachedContents</c>) of a Gemini provider instance.
/// A chat request then uses one by naming it in a <c>cached_content</c> field (OpenAI SDKs send it through their
/// extra-body option), and the cached tokens show in <c>usage.prompt_tokens_details.cached_tokens</c>.
/// </summary>
/// <remarks>Registered by <c>AddGemini()</c>; thread-safe. Failures throw <see cref="LlmGatewayException"/> with the
/// translated Gemini error.</remarks>
public sealed class GeminiContextCaches
{
    private readonly RouteTableProvider _routes;

    internal GeminiContextCaches(RouteTableProvider routes)
    {
        _routes = routes;
    }

    /// <summary>
    /// Caches the prompt prefix of an OpenAI-format chat request: its system messages, messages, tools and tool choice,
    /// translated exactly as a chat request would be.
    /// </summary>
    /// <param name="provider">The Gemini instance name.</param>
    /// <param name="chatRequest">An OpenAI chat completions request body (JSON) whose <c>model</c> and <c>messages</c> make the cache.</param>
    /// <param name="ttl">How long the cache lives.</param>
    /// <param name="displayName">An optional display name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The cache.</returns>
    public Task<GeminiCachedContent> CreateAsync(string provider, ReadOnlyMemory<byte> chatRequest, TimeSpan ttl, string? displayName = null, CancellationToken cancellationToken = default) =>
        Get(provider).CreateCacheAsync(chatRequest, ttl, displayName, cancellationToken);

    /// <summary>Lists the caches of an instance.</summary>
    /// <param name="provider">The Gemini instance name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The caches.</returns>
    public Task<IReadOnlyList<GeminiCachedContent>> ListAsync(string provider, CancellationToken cancellationToken = default) =>
        Get(provider).ListCachesAsync(cancellationToken);

    /// <summary>Gets one cache.</summary>
    /// <param name="provider">The Gemini instance name.</param>
    /// <param name="name">The cache name, <c>cachedContents/…</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The cache.</returns>
    public Task<GeminiCachedContent> GetAsync(string provider, string name, CancellationToken cancellationToken = default) =>
        Get(provider).CacheRequestAsync(HttpMethod.Get, name, null, null, cancellationToken);

    /// <summary>Sets a cache's time to live, counted from now.</summary>
    /// <param name="provider">The Gemini instance name.</param>
    /// <param name="name">The cache name, <c>cachedContents/…</c>.</param>
    /// <param name="ttl">The new time to live.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The cache, with its new expiry.</returns>
    public Task<GeminiCachedContent> ExtendAsync(string provider, string name, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        Get(provider).CacheRequestAsync(HttpMethod.Patch, name, "updateMask=ttl", ttl, cancellationToken);

    /// <summary>Deletes a cache.</summary>
    /// <param name="provider">The Gemini instance name.</param>
    /// <param name="name">The cache name, <c>cachedContents/…</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the cache is deleted.</returns>
    public Task DeleteAsync(string provider, string name, CancellationToken cancellationToken = default) =>
        Get(provider).DeleteCacheAsync(name, cancellationToken);

    private GeminiProvider Get(string provider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(provider);
        return _routes.Current.GetProvider(provider) as GeminiProvider
            ?? throw new ArgumentException($"'{provider}' is not a configured Gemini provider instance.", nameof(provider));
    }
}
