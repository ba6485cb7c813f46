using System.Collections.Frozen;

namespace LlmGateway.Internal;

/// <summary>
/// The catalog's facts per model: context window and prices per million tokens (USD), as the providers publish
/// them; a model id matches its longest listed prefix (<c>gpt-4o-2024-08-06</c> → <c>gpt-4o</c>). Configuration
/// (<c>LlmGateway:Catalog</c>) overrides and extends it.
/// </summary>
internal sealed class ModelFacts
{
    private static readonly Dictionary<string, ModelCatalogOptions> s_builtIn = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-4o"] = Facts(128_000, 2.50m, 1.25m, 10.00m),
        ["gpt-4o-mini"] = Facts(128_000, 0.15m, 0.075m, 0.60m),
        ["gpt-4.1"] = Facts(1_047_576, 2.00m, 0.50m, 8.00m),
        ["gpt-4.1-mini"] = Facts(1_047_576, 0.40m, 0.10m, 1.60m),
        ["gpt-4.1-nano"] = Facts(1_047_576, 0.10m, 0.025m, 0.40m),
        ["gpt-5"] = Facts(400_000, 1.25m, 0.125m, 10.00m),
        ["gpt-5-mini"] = Facts(400_000, 0.25m, 0.025m, 2.00m),
        ["gpt-5-nano"] = Facts(400_000, 0.05m, 0.005m, 0.40m),
        ["o3"] = Facts(200_000, 2.00m, 0.50m, 8.00m),
        ["o4-mini"] = Facts(200_000, 1.10m, 0.275m, 4.40m),
        ["gemini-2.5-pro"] = Facts(1_048_576, 1.25m, 0.31m, 10.00m),
        ["gemini-2.5-flash"] = Facts(1_048_576, 0.30m, 0.075m, 2.50m),
        ["gemini-2.5-flash-lite"] = Facts(1_048_576, 0.10m, 0.025m, 0.40m),
        ["gemini-2.0-flash"] = Facts(1_048_576, 0.10m, 0.025m, 0.40m),
    };

    private readonly FrozenDictionary<string, ModelCatalogOptions> _facts;

    public ModelFacts(IReadOnlyDictionary<string, ModelCatalogOptions>? overrides = null)
    {
        var facts = new Dictionary<string, ModelCatalogOptions>(s_builtIn, StringComparer.OrdinalIgnoreCase);
        foreach (var (model, values) in overrides ?? new Dictionary<string, ModelCatalogOptions>())
        {
            var merged = facts.GetValueOrDefault(model) ?? new ModelCatalogOptions();
            facts[model] = new ModelCatalogOptions
            {
                ContextWindow = values.ContextWindow ?? merged.ContextWindow,
                InputPrice = values.InputPrice ?? merged.InputPrice,
                CachedInputPrice = values.CachedInputPrice ?? merged.CachedInputPrice,
                OutputPrice = values.OutputPrice ?? merged.OutputPrice,
                Prefill = values.Prefill ?? merged.Prefill,
            };
        }

        _facts = facts.ToFrozenDictionary(StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Gets the model ids the catalog has facts for, built in or configured.</summary>
    public IEnumerable<string> Names => _facts.Keys;

    public ModelCatalogOptions? Get(string model)
    {
        if (_facts.TryGetValue(model, out var exact))
        {
            return exact;
        }

        ModelCatalogOptions? best = null;
        var bestLength = 0;
        foreach (var (prefix, facts) in _facts)
        {
            if (prefix.Length > bestLength && model.StartsWith(prefix + "-", StringComparison.OrdinalIgnoreCase))
            {
                best = facts;
                bestLength = prefix.Length;
            }
        }

        return best;
    }

    private static ModelCatalogOptions Facts(int contextWindow, decimal input, decimal cached, decimal output) =>
        new() { ContextWindow = contextWindow, InputPrice = input, CachedInputPrice = cached, OutputPrice = output };
}
