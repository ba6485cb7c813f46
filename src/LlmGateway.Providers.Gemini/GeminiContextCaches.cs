using LlmGateway.Gemini.Internal;

namespace LlmGateway;

/// <summary>
/// Creates, lists, extends and deletes Gemini context caches (<c>cachedContents</c>) of a Gemini provider instance.
/// A chat request then uses one by naming it in a <c>cached_content</c> field (OpenAI SDKs send it through their
/// extra-body option), and the cached tokens show in <c>usage.prompt_tokens_details.cached_tokens</c>.
/// </summary>
/// <remarks>
/// <para>A cache belongs to the caller it was created for: this instance's caches are the in-process caller's, those
/// of <see cref="ForKey"/> a gateway key's. Only that caller sees it (<see cref="ListAsync"/>), reads, extends or
/// deletes it, or names it in a request's <c>cached_content</c>; to anyone else, and for a cache the gateway did not
/// create, it does not exist (<see cref="GatewayErrorKind.NotFound"/>, and 404 over HTTP).</para>
/// <para>Registered by <c>AddGemini()</c>; thread-safe. Failures throw <see cref="LlmGatewayException"/> with the
/// translated Gemini error.</para>
/// </remarks>
public sealed class GeminiContextCaches
{
    private readonly ILlmProviderResolver _routes;
    private readonly IResourceOwnership _owners;
    private readonly string? _owner;

    /// <param name="routes">The provider instances.</param>
    /// <param name="owners">Who created which cache.</param>
    /// <param name="owner">The caller's id; null for in-process.</param>
    internal GeminiContextCaches(ILlmProviderResolver routes, IResourceOwnership owners, string? owner = null)
    {
        _routes = routes;
        _owners = owners;
        _owner = owner;
    }

    /// <summary>
    /// The context caches of one gateway key: what is created through the result belongs to that key, which can then
    /// name it in <c>cached_content</c>; only that key's caches are listed, read, extended or deleted through it.
    /// </summary>
    /// <param name="keyId">The gateway key's id: the <c>id</c> the admin API shows (a rotation keeps it), which for a
    /// configured key is its <c>Name</c>; <c>anonymous</c> for the callers of mode None.</param>
    /// <returns>The caches of that key.</returns>
    /// <exception cref="ArgumentException"><paramref name="keyId"/> is null or blank.</exception>
    public GeminiContextCaches ForKey(string keyId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(keyId);
        return new GeminiContextCaches(_routes, _owners, keyId);
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
    public async Task<GeminiCachedContent> CreateAsync(string provider, ReadOnlyMemory<byte> chatRequest, TimeSpan ttl, string? displayName = null, CancellationToken cancellationToken = default)
    {
        var gemini = Get(provider);
        var created = await gemini.CreateCacheAsync(chatRequest, ttl, displayName, cancellationToken);
        if (created.Name.Length > 0)
        {
            await _owners.ClaimAsync(IResourceOwnership.GeminiCache, GeminiProvider.CacheName(created.Name), _owner, gemini.Name);
        }

        return created;
    }

    /// <summary>Lists the caches of an instance that belong to this caller.</summary>
    /// <param name="provider">The Gemini instance name.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The caches.</returns>
    public async Task<IReadOnlyList<GeminiCachedContent>> ListAsync(string provider, CancellationToken cancellationToken = default)
    {
        var gemini = Get(provider);
        var all = await gemini.ListCachesAsync(cancellationToken);
        var mine = new List<GeminiCachedContent>(all.Count);
        foreach (var cache in all)
        {
            if (cache.Name.Length == 0)
            {
                continue;
            }

            var refused = await CheckAsync(gemini, cache.Name, cancellationToken);
            if (refused is null)
            {
                mine.Add(cache);
            }
            else if (refused.Kind == GatewayErrorKind.ServiceUnavailable)
            {
                throw new LlmGatewayException(refused);
            }
        }

        return mine;
    }

    /// <summary>Gets one cache.</summary>
    /// <param name="provider">The Gemini instance name.</param>
    /// <param name="name">The cache name, <c>cachedContents/…</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The cache.</returns>
    public async Task<GeminiCachedContent> GetAsync(string provider, string name, CancellationToken cancellationToken = default)
    {
        var gemini = await GetOwnedAsync(provider, name, cancellationToken);
        return await gemini.CacheRequestAsync(HttpMethod.Get, name, null, null, cancellationToken);
    }

    /// <summary>Sets a cache's time to live, counted from now.</summary>
    /// <param name="provider">The Gemini instance name.</param>
    /// <param name="name">The cache name, <c>cachedContents/…</c>.</param>
    /// <param name="ttl">The new time to live.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The cache, with its new expiry.</returns>
    public async Task<GeminiCachedContent> ExtendAsync(string provider, string name, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var gemini = await GetOwnedAsync(provider, name, cancellationToken);
        return await gemini.CacheRequestAsync(HttpMethod.Patch, name, "updateMask=ttl", ttl, cancellationToken);
    }

    /// <summary>Deletes a cache.</summary>
    /// <param name="provider">The Gemini instance name.</param>
    /// <param name="name">The cache name, <c>cachedContents/…</c>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the cache is deleted.</returns>
    public async Task DeleteAsync(string provider, string name, CancellationToken cancellationToken = default)
    {
        var gemini = await GetOwnedAsync(provider, name, cancellationToken);
        await gemini.DeleteCacheAsync(name, cancellationToken);
    }

    private async Task<GeminiProvider> GetOwnedAsync(string provider, string name, CancellationToken cancellationToken)
    {
        var gemini = Get(provider);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (await CheckAsync(gemini, name, cancellationToken) is { } refused)
        {
            throw new LlmGatewayException(refused);
        }

        return gemini;
    }

    /// <summary>Null when this caller created the cache on that instance; else the error to answer with.</summary>
    private async Task<GatewayError?> CheckAsync(GeminiProvider gemini, string name, CancellationToken cancellationToken)
    {
        var full = GeminiProvider.CacheName(name);
        string? provider;
        try
        {
            provider = await _owners.FindOwnedAsync(IResourceOwnership.GeminiCache, full, _owner, cancellationToken);
        }
        catch (LlmGatewayException unavailable)
        {
            return unavailable.Error;
        }

        return string.Equals(provider, gemini.Name, StringComparison.Ordinal)
            ? null
            : new GatewayError(GatewayErrorKind.NotFound, $"Cached content '{full}' not found.") { Code = null };
    }

    private GeminiProvider Get(string provider)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(provider);
        return _routes.GetProvider(provider) as GeminiProvider
            ?? throw new ArgumentException($"'{provider}' is not a configured Gemini provider instance.", nameof(provider));
    }
}
