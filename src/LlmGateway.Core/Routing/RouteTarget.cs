namespace LlmGateway;

/// <summary>A target a request may go to: a provider instance and the model id its upstream knows.</summary>
/// <param name="Provider">The provider instance.</param>
/// <param name="Model">The upstream's model id.</param>
/// <param name="Weight">The configured weight.</param>
/// <param name="Priority">The configured priority (lower first).</param>
public sealed record RouteTarget(ILlmProvider Provider, string Model, int Weight = 1, int Priority = 0)
{
    /// <summary>Gets the model's context window in tokens, when the catalog knows it.</summary>
    public int? ContextWindow { get; init; }

    /// <summary>Gets the model's input plus output price per million tokens (USD), when the catalog knows it.</summary>
    public decimal? Price { get; init; }

    /// <summary>Gets the name of the target, <c>&lt;provider&gt;/&lt;model&gt;</c>.</summary>
    public string Name => $"{Provider.Name}/{Model}";
}
