namespace LlmGateway;

/// <summary>
/// What the gateway knows of a model (<c>LlmGateway:Catalog:&lt;model&gt;</c>): its context window and prices. The
/// built-in catalog covers the common OpenAI and Gemini models; configuration adds models or overrides values.
/// </summary>
public sealed class ModelCatalogOptions
{
    /// <summary>Gets or sets the context window, in tokens.</summary>
    public int? ContextWindow { get; set; }

    /// <summary>Gets or sets the price of a million input tokens, in US dollars.</summary>
    public decimal? InputPrice { get; set; }

    /// <summary>Gets or sets the price of a million cached input tokens, in US dollars.</summary>
    public decimal? CachedInputPrice { get; set; }

    /// <summary>Gets or sets the price of a million output tokens, in US dollars.</summary>
    public decimal? OutputPrice { get; set; }
}
