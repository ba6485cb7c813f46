using Microsoft.Extensions.Options;

namespace LlmGateway.Samples.Extending.Routing;

/// <summary>The instances <see cref="PreferLocalStrategy"/> treats as local (section <c>PreferLocal</c>).</summary>
public sealed class PreferLocalOptions
{
    /// <summary>The configuration section the options bind from.</summary>
    public const string SectionName = "PreferLocal";

    /// <summary>Gets or sets the provider instance names that run on this machine or network (an Ollama, a vLLM).</summary>
    public List<string> Providers { get; set; } = [];
}

/// <summary>
/// <c>"Strategy": "PreferLocal"</c>: an alias's targets on local instances first, then the rest, each group by
/// <see cref="RouteTarget.Priority"/> and then configuration order. Prompts stay on the machine while a local model
/// answers; a remote one takes over when it does not.
/// </summary>
/// <remarks>
/// Which instances are local comes from the strategy's own options: a strategy sees a target's provider instance and
/// model, not its base URL. It must not depend on the gateway's own options either, since the gateway's options
/// validator asks for every strategy (to check the names the aliases use).
/// </remarks>
public sealed class PreferLocalStrategy(IOptionsMonitor<PreferLocalOptions> options) : IRoutingStrategy
{
    /// <summary>The name aliases use.</summary>
    public const string StrategyName = "PreferLocal";

    public string Name => StrategyName;

    public IReadOnlyList<RouteTarget> Order(RoutingContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var local = options.CurrentValue.Providers;

        // A local instance whose circuit is open for this caller is not preferred: the gateway would skip it anyway,
        // and ordering it last keeps the remote answer first.
        return Order(context.Targets, target => local.Contains(target.Provider.Name, StringComparer.OrdinalIgnoreCase)
            && context.GetState(target).Circuit != TargetCircuitState.Open);
    }

    /// <summary>The ordering itself: local first, then by priority, then configuration order (a stable sort).</summary>
    internal static IReadOnlyList<RouteTarget> Order(IReadOnlyList<RouteTarget> targets, Func<RouteTarget, bool> isLocal) =>
        [.. targets.Select((target, index) => (Target: target, Index: index, Local: isLocal(target)))
            .OrderBy(static x => x.Local ? 0 : 1)
            .ThenBy(static x => x.Target.Priority)
            .ThenBy(static x => x.Index)
            .Select(static x => x.Target)];
}
