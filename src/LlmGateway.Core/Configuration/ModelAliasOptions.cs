namespace LlmGateway;

/// <summary>
/// A model alias (<c>LlmGateway:Models:&lt;alias&gt;</c>): a name clients ask for like any model, served by one of
/// several targets chosen by a strategy, with failover to the others.
/// </summary>
public sealed class ModelAliasOptions
{
    /// <summary>Gets or sets the strategy that orders the targets, one of <see cref="RoutingStrategies"/>
    /// (case-insensitive). Defaults to <see cref="RoutingStrategies.Fallback"/>.</summary>
    public string Strategy { get; set; } = RoutingStrategies.Fallback;

    /// <summary>Gets or sets the targets (<c>LlmGateway:Models:&lt;alias&gt;:Targets:&lt;i&gt;</c>).</summary>
    public List<RouteTargetOptions> Targets { get; set; } = [];

    /// <summary>Gets or sets this alias's hedging of streamed requests (<c>LlmGateway:Models:&lt;alias&gt;:Hedging</c>);
    /// what it leaves unset comes from <see cref="LlmGatewayOptions.Hedging"/>. Null: the global settings.</summary>
    public HedgingOptions? Hedging { get; set; }
}
