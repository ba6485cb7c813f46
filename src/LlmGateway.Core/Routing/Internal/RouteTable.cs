using System.Collections.Frozen;

namespace LlmGateway.Internal;

/// <summary>
/// An immutable snapshot of the configuration as the hot path needs it: the provider instances and the lookups from
/// model names to them. A new table is built on every valid reload and swapped in atomically.
/// </summary>
internal sealed class RouteTable
{
    private readonly FrozenDictionary<string, ILlmProvider> _byName;
    private readonly FrozenDictionary<string, ILlmProvider> _byListedModel;
    private readonly FrozenDictionary<string, ILlmProvider> _defaultByType;

    private readonly FrozenDictionary<string, (IRoutingStrategy Strategy, RouteTarget[] Targets)> _aliases;

    private readonly TargetStates _states;

    public RouteTable(LlmGatewayOptions options, IReadOnlyList<ILlmProvider> providers, IEnumerable<IRoutingStrategy>? strategies = null, TargetStates? states = null)
    {
        _states = states ?? TargetStates.Detached();
        Options = options;
        Providers = providers;
        _byName = providers.ToFrozenDictionary(static p => p.Name, StringComparer.OrdinalIgnoreCase);

        var byModel = new Dictionary<string, ILlmProvider>(StringComparer.OrdinalIgnoreCase);
        var unlisted = new List<ILlmProvider>();
        foreach (var provider in providers)
        {
            var models = options.Providers[provider.Name].Models;
            if (models.Count == 0)
            {
                unlisted.Add(provider);
            }

            foreach (var model in models)
            {
                byModel.TryAdd(model, provider); // the first instance that lists a model serves it
            }
        }

        _byListedModel = byModel.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
        Unlisted = unlisted;

        var defaults = new Dictionary<string, ILlmProvider>(StringComparer.OrdinalIgnoreCase);
        foreach (var group in providers.GroupBy(static p => p.Type, StringComparer.OrdinalIgnoreCase))
        {
            var named = group.FirstOrDefault(p => string.Equals(p.Name, group.Key, StringComparison.OrdinalIgnoreCase));
            var only = group.Count() == 1 ? group.First() : null;
            if ((named ?? only) is { } chosen)
            {
                defaults[group.Key] = chosen;
            }
        }

        _defaultByType = defaults.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

        Facts = new ModelFacts(options.Catalog);
        var aliases = new Dictionary<string, (IRoutingStrategy, RouteTarget[])>(StringComparer.OrdinalIgnoreCase);
        foreach (var (alias, model) in options.Models)
        {
            var strategy = strategies?.FirstOrDefault(s => string.Equals(s.Name, model.Strategy, StringComparison.OrdinalIgnoreCase));
            var targets = model.Targets
                .Where(t => _byName.ContainsKey(t.Provider))
                .Select(t => WithPrefill(WithFacts(new RouteTarget(_byName[t.Provider], string.IsNullOrWhiteSpace(t.Model) ? alias : t.Model, t.Weight, t.Priority)), t.Prefill))
                .ToArray();
            if (strategy is not null && targets.Length > 0)
            {
                aliases[alias] = (strategy, targets);
            }
        }

        _aliases = aliases.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);

        // The names telemetry and usage may show: those the configuration or the catalog spells out. A model reached
        // only through a pattern (a catalog prefix such as "gpt-", or "<instance>/<anything>") is not among them.
        var names = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        void Name(string name) => names.TryAdd(name, name);
        foreach (var (alias, model) in options.Models)
        {
            Name(alias);
            foreach (var target in model.Targets)
            {
                if (!string.IsNullOrWhiteSpace(target.Model))
                {
                    Name(target.Model);
                }
            }
        }

        foreach (var model in byModel.Keys)
        {
            Name(model);
        }

        foreach (var model in Facts.Names)
        {
            Name(model);
        }

        foreach (var model in ModelCatalog.KnownIds)
        {
            Name(model);
        }

        _names = names.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>The tag value of a model whose name telemetry and usage must not show.</summary>
    public const string UnresolvedModel = "unresolved";

    private readonly FrozenDictionary<string, string> _names;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _qualifiedNames = new(StringComparer.Ordinal);

    /// <summary>
    /// The spelling under which telemetry and usage may show a model name a client sent: an alias, a model listed in
    /// an instance's <c>Models</c>, one of an alias's targets, a model of the catalog (its known ids, or one with facts,
    /// built in or from <c>LlmGateway:Catalog</c>), or <c>&lt;instance&gt;/</c> one of those; null for any other name, which may be
    /// anything a client made up. The result is the configuration's spelling, never the client's.
    /// </summary>
    public string? NameOf(string model)
    {
        if (_names.TryGetValue(model, out var name))
        {
            return name;
        }

        var slash = model.IndexOf('/', StringComparison.Ordinal);
        if (slash <= 0 || slash == model.Length - 1)
        {
            return null;
        }

        if (_qualifiedNames.TryGetValue(model, out var qualified))
        {
            return qualified;
        }

        if (!_byName.TryGetValue(model[..slash], out var provider) || !_names.TryGetValue(model[(slash + 1)..], out var inner))
        {
            return null;
        }

        qualified = provider.Name + "/" + inner;
        if (_qualifiedNames.Count < MaxResolved)
        {
            _qualifiedNames.TryAdd(model, qualified);
        }

        return qualified;
    }

    public ModelFacts Facts { get; }

    /// <summary>Gets every alias's targets, for the health report.</summary>
    public IEnumerable<RouteTarget> AliasTargets => _aliases.Values.SelectMany(static a => a.Targets);

    /// <summary>Whether a model name leads anywhere without asking an upstream (no strategy is asked).</summary>
    public bool Routes(string model) => _aliases.ContainsKey(model) || Targets(model) is not null;

    /// <summary>Gets the alias names, for the model list.</summary>
    public IEnumerable<string> Aliases => _aliases.Keys;

    /// <summary>The targets to try for a model name: an alias's in its strategy's order, else the one route.</summary>
    /// <param name="model">The model name.</param>
    /// <param name="request">What the request tells the alias's strategy about itself.</param>
    public IReadOnlyList<RouteTarget>? Targets(string model, in RoutingRequest request = default)
    {
        if (_aliases.TryGetValue(model, out var alias))
        {
            return alias.Strategy.Order(new RoutingContext(model, alias.Targets, request, _states));
        }

        if (_resolved.TryGetValue(model, out var resolved))
        {
            return resolved;
        }

        if (Resolve(model) is not { } route)
        {
            return null;
        }

        RouteTarget[] targets = [WithFacts(new RouteTarget(route.Provider, route.UpstreamModel))];
        if (_resolved.Count < MaxResolved)
        {
            _resolved.TryAdd(model, targets);
        }

        return targets;
    }

    // A model name's one target, kept so a request does not build it anew; the table is replaced on every reload.
    // Bounded, since model names come from callers.
    private const int MaxResolved = 4096;
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, RouteTarget[]> _resolved = new(StringComparer.Ordinal);

    /// <summary>A target with the catalog's context window, price and prefill capability of its model; without a
    /// catalog entry that says, the prefill capability is its provider type's (<see cref="DefaultPrefill"/>).</summary>
    public RouteTarget WithFacts(RouteTarget target) => Facts.Get(target.Model) is { } facts
        ? target with { ContextWindow = facts.ContextWindow, Price = facts.InputPrice + facts.OutputPrice, Prefill = facts.Prefill ?? DefaultPrefill(target.Provider) }
        : WithPrefill(target, DefaultPrefill(target.Provider));

    /// <summary>Whether a provider type's models continue a prefilled answer, unless the catalog or the alias target
    /// says otherwise: Gemini's do, OpenAI's chat models answer afresh, any other type is unknown.</summary>
    private static bool? DefaultPrefill(ILlmProvider provider) =>
        provider.Type.Equals(ProviderTypes.Gemini, StringComparison.OrdinalIgnoreCase) ? true
        : provider.Type.Equals(ProviderTypes.OpenAI, StringComparison.OrdinalIgnoreCase) ? false
        : null;

    private static RouteTarget WithPrefill(RouteTarget target, bool? prefill) =>
        prefill is null || target.Prefill == prefill ? target : target with { Prefill = prefill };

    public LlmGatewayOptions Options { get; }

    /// <summary>Gets the instances in configuration order.</summary>
    public IReadOnlyList<ILlmProvider> Providers { get; }

    /// <summary>Gets the instances with no <c>Models</c> list, whose upstream's own list may serve a bare id.</summary>
    public IReadOnlyList<ILlmProvider> Unlisted { get; }

    public ILlmProvider? GetProvider(string name) => _byName.GetValueOrDefault(name);

    /// <summary>Gets the default instance of a type: the one named like the type, else the only one of that type.</summary>
    public ILlmProvider? GetDefault(string type) => _defaultByType.GetValueOrDefault(type);

    /// <summary>
    /// Resolves a model name without asking any upstream: <c>&lt;instance&gt;/&lt;model&gt;</c>, then the instance
    /// whose <c>Models</c> list has the id, then the catalog's type and that type's default instance.
    /// </summary>
    public Route? Resolve(string model)
    {
        var slash = model.IndexOf('/', StringComparison.Ordinal);
        if (slash > 0 && slash < model.Length - 1 && _byName.TryGetValue(model[..slash], out var named))
        {
            return new Route(named, model[(slash + 1)..]);
        }

        if (_byListedModel.TryGetValue(model, out var listed))
        {
            return new Route(listed, model);
        }

        if (ModelCatalog.GetProviderType(model) is { } type && _defaultByType.TryGetValue(type, out var byType))
        {
            return new Route(byType, model);
        }

        return null;
    }
}

/// <summary>Where a model name leads: the instance and the id its upstream knows.</summary>
internal readonly record struct Route(ILlmProvider Provider, string UpstreamModel);
