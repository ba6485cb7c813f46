namespace LlmGateway;

/// <summary>
/// One OpenAI instance (<c>LlmGateway:Providers:&lt;name&gt;</c> with <c>Type</c> <c>OpenAI</c>): the common settings
/// of <see cref="ProviderOptions"/> and OpenAI's own. An instance set in code may use plain
/// <see cref="ProviderOptions"/>, which leaves these at their defaults.
/// </summary>
public class OpenAIProviderOptions : ProviderOptions
{
    /// <summary>Gets or sets the OpenAI organization sent as <c>OpenAI-Organization</c>.</summary>
    public string? Organization { get; set; }

    /// <summary>Gets or sets the OpenAI project sent as <c>OpenAI-Project</c>.</summary>
    public string? Project { get; set; }

    /// <summary>
    /// Gets or sets whether the upstream has OpenAI's Responses API. Defaults to true for OpenAI's own API and false
    /// for other base URLs, since most OpenAI-compatible servers lack it. When false, <c>/v1/responses</c> requests for
    /// this instance are served through its chat completions, translated both ways.
    /// </summary>
    public bool? UseResponsesApi { get; set; }

    /// <summary>
    /// Gets or sets whether non-streaming chat completions over the Responses API run in background mode: the gateway
    /// creates the response with <c>background: true</c>, polls it with exponential backoff (1 s doubling to 30 s,
    /// within <see cref="LlmGatewayOptions.RequestTimeout"/>) until it is completed, failed or cancelled, answers the
    /// client, and deletes the stored response. It suits instances that serve slow models (o3-pro, deep research),
    /// whose answers could outlast a held-open connection. A client that goes away cancels the background response.
    /// Defaults to false.
    /// </summary>
    public bool UseBackgroundMode { get; set; }
}
