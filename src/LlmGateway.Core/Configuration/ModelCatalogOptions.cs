namespace LlmGateway;

/// <summary>
/// What the gateway knows of a model (<c>LlmGateway:Catalog:&lt;model&gt;</c>): its context window, prices, and whether
/// it continues a prefilled answer. The built-in catalog covers the common OpenAI and Gemini models; configuration adds
/// models or overrides values.
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

    /// <summary>
    /// Gets or sets whether the model continues a prefilled answer: given a request whose last message is an
    /// <c>assistant</c> message, it goes on from that text rather than answering afresh. A stream cut mid-answer is
    /// then continued on this model by sending the text already delivered as that message; otherwise the request is
    /// sent again and the new answer is spliced after the delivered text. Null leaves the built-in default: true for
    /// targets on a Gemini instance, false otherwise.
    /// </summary>
    public bool? Prefill { get; set; }
}
