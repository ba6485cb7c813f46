namespace LlmGateway;

/// <summary>One target of a model alias: a provider instance and the model id its upstream knows.</summary>
public sealed class RouteTargetOptions
{
    /// <summary>Gets or sets the provider instance name.</summary>
    public string Provider { get; set; } = string.Empty;

    /// <summary>Gets or sets the upstream's model id; defaults to the alias itself.</summary>
    public string? Model { get; set; }

    /// <summary>Gets or sets the share of traffic for <see cref="RoutingStrategies.Weighted"/>. Defaults to 1.</summary>
    public int Weight { get; set; } = 1;

    /// <summary>Gets or sets the order for <see cref="RoutingStrategies.Fallback"/>: lower first. Defaults to 0, then
    /// configuration order.</summary>
    public int Priority { get; set; }

    /// <summary>Gets or sets whether this target continues a prefilled answer (see <see cref="ModelCatalogOptions.Prefill"/>);
    /// null takes the catalog's value for the model, else the built-in default.</summary>
    public bool? Prefill { get; set; }
}
