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

    /// <summary>Gets whether the target continues a prefilled answer (a request ending with an <c>assistant</c>
    /// message goes on from its text), so that a stream cut mid-answer can be continued on it from the text already
    /// delivered: the alias target's setting, else the catalog's, else true for a Gemini instance and false for an
    /// OpenAI one; null when unknown, which is treated as false.</summary>
    public bool? Prefill { get; init; }

    // The name is asked for several times per request (health, in-flight counts, latency, telemetry): made once.
    private string? _name;

    /// <summary>Gets the name of the target, <c>&lt;provider&gt;/&lt;model&gt;</c>.</summary>
    public string Name => _name ??= $"{Provider.Name}/{Model}";

    /// <summary>Copies a target for <c>with</c>; the name is made anew, since <c>with</c> may change the model.</summary>
    private RouteTarget(RouteTarget original)
    {
        Provider = original.Provider;
        Model = original.Model;
        Weight = original.Weight;
        Priority = original.Priority;
        ContextWindow = original.ContextWindow;
        Price = original.Price;
        Prefill = original.Prefill;
    }

    /// <summary>Whether two targets have the same provider, model, weight, priority and facts.</summary>
    /// <param name="other">The other target.</param>
    /// <returns><see langword="true"/> when they are equal.</returns>
    public bool Equals(RouteTarget? other) =>
        other is not null
        && EqualityComparer<ILlmProvider>.Default.Equals(Provider, other.Provider)
        && Model == other.Model
        && Weight == other.Weight
        && Priority == other.Priority
        && ContextWindow == other.ContextWindow
        && Price == other.Price
        && Prefill == other.Prefill;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Provider, Model, Weight, Priority, ContextWindow, Price, Prefill);
}
