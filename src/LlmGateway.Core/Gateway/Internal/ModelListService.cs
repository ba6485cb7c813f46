using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>
/// The models each provider instance serves: its configured <c>Models</c> list, else what its upstream reports
/// (kept for <see cref="LlmGatewayOptions.ModelListCacheDuration"/>). It also resolves a bare model id that neither
/// a <c>Models</c> list nor the catalog knows, by looking it up in those upstream lists: with only
/// <c>OPENAI_BASE_URL</c> pointing at Ollama, <c>llama3.2</c> reaches Ollama.
/// </summary>
internal sealed class ModelListService
{
    private readonly ConcurrentDictionary<ILlmProvider, Entry> _cache = new(ReferenceEqualityComparer.Instance);
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<ModelListService> _logger;

    public ModelListService(RouteTableProvider routes, TimeProvider timeProvider, ILogger<ModelListService> logger)
    {
        _timeProvider = timeProvider;
        _logger = logger;

        // Lists are kept per instance; a reload makes new instances, so the old entries would never be read again.
        routes.Changed += _ => _cache.Clear();
    }

    public async ValueTask<IReadOnlyList<ModelInfo>> ListAsync(RouteTable table, CancellationToken cancellationToken)
    {
        var lists = await Task.WhenAll(table.Providers.Select(p => GetUpstreamIdsAsync(table, p, cancellationToken).AsTask()));

        // A bare id that no rule resolves goes to the first instance without a Models list whose upstream lists it
        // (ResolveFromUpstreamListsAsync); the listing must show the same.
        var firstLister = new Dictionary<string, ILlmProvider>(StringComparer.Ordinal);
        for (var i = 0; i < lists.Length; i++)
        {
            if (table.Unlisted.Contains(table.Providers[i]))
            {
                foreach (var model in lists[i])
                {
                    firstLister.TryAdd(model.Id, table.Providers[i]);
                }
            }
        }

        var result = new List<ModelInfo>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var alias in table.Aliases)
        {
            if (seen.Add(alias))
            {
                result.Add(new ModelInfo(alias, 0, "llmgateway"));
            }
        }

        for (var i = 0; i < lists.Length; i++)
        {
            var provider = table.Providers[i];
            foreach (var model in lists[i])
            {
                var routesHere = table.Resolve(model.Id) is { } route
                    ? ReferenceEquals(route.Provider, provider) && route.UpstreamModel == model.Id
                    : firstLister.TryGetValue(model.Id, out var lister) && ReferenceEquals(lister, provider);
                var id = routesHere ? model.Id : $"{provider.Name}/{model.Id}";
                if (seen.Add(id))
                {
                    result.Add(model with { Id = id, OwnedBy = provider.Name });
                }
            }
        }

        return result;
    }

    public async ValueTask<ModelInfo?> FindAsync(RouteTable table, string id, CancellationToken cancellationToken)
    {
        if (table.Aliases.Contains(id, StringComparer.OrdinalIgnoreCase))
        {
            return new ModelInfo(id, 0, "llmgateway");
        }

        var route = table.Resolve(id) ?? await ResolveFromUpstreamListsAsync(table, id, cancellationToken);
        if (route is not { } resolved)
        {
            return null;
        }

        var models = await GetUpstreamIdsAsync(table, resolved.Provider, cancellationToken);
        foreach (var model in models)
        {
            if (string.Equals(model.Id, resolved.UpstreamModel, StringComparison.OrdinalIgnoreCase))
            {
                return model with { Id = id, OwnedBy = resolved.Provider.Name };
            }
        }

        // A model the routing rules send somewhere, on an instance whose list could not be had: it is served as far
        // as the gateway can tell. An instance that did list its models and lacks this one does not serve it.
        return models.Count == 0 ? new ModelInfo(id, 0, resolved.Provider.Name) : null;
    }

    public async ValueTask<Route?> ResolveFromUpstreamListsAsync(RouteTable table, string model, CancellationToken cancellationToken)
    {
        foreach (var provider in table.Unlisted)
        {
            if ((provider.Capabilities & ProviderCapabilities.ModelList) == 0)
            {
                continue;
            }

            foreach (var listed in await GetUpstreamIdsAsync(table, provider, cancellationToken))
            {
                if (string.Equals(listed.Id, model, StringComparison.Ordinal))
                {
                    return new Route(provider, model);
                }
            }
        }

        return null;
    }

    private async ValueTask<IReadOnlyList<ModelInfo>> GetUpstreamIdsAsync(RouteTable table, ILlmProvider provider, CancellationToken cancellationToken)
    {
        var configured = table.Options.Providers[provider.Name].Models;
        if (configured.Count > 0)
        {
            return configured.Select(m => new ModelInfo(m, 0, provider.Name)).ToList();
        }

        if ((provider.Capabilities & ProviderCapabilities.ModelList) == 0)
        {
            return [];
        }

        var now = _timeProvider.GetUtcNow();
        if (_cache.TryGetValue(provider, out var cached) && cached.Expires > now)
        {
            return cached.Models;
        }

        var result = await provider.ListModelsAsync(cancellationToken);
        if (result.Error is { } error)
        {
            _logger.ModelListFailed(provider.Name, ClientText.ForLog(error.Message));

            // Remember the failure briefly too, so a down upstream is not asked on every request.
            var retryIn = TimeSpan.FromSeconds(Math.Min(30, table.Options.ModelListCacheDuration.TotalSeconds));
            _cache[provider] = new Entry([], now + retryIn);
            return [];
        }

        _cache[provider] = new Entry(result.Models, now + table.Options.ModelListCacheDuration);
        return result.Models;
    }

    private sealed record Entry(IReadOnlyList<ModelInfo> Models, DateTimeOffset Expires);
}
