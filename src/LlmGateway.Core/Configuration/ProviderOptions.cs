namespace LlmGateway;

/// <summary>
/// One provider instance: <c>LlmGateway:Providers:&lt;name&gt;</c>.
/// </summary>
public sealed class ProviderOptions
{
    /// <summary>
    /// Gets or sets the provider type, one of <see cref="ProviderTypes"/> (case-insensitive). When the instance is
    /// named <c>openai</c> or <c>gemini</c> (any case) the type is inferred from the name.
    /// </summary>
    public string? Type { get; set; }

    /// <summary>
    /// Gets or sets the key the gateway sends upstream. The instance named <c>openai</c> falls back to
    /// <c>OPENAI_API_KEY</c>, the one named <c>gemini</c> to <c>GEMINI_API_KEY</c>, then <c>GOOGLE_API_KEY</c>.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>
    /// Gets or sets the upstream's base URL. Defaults per type: OpenAI <c>https://api.openai.com/v1</c>, Gemini
    /// <c>https://generativelanguage.googleapis.com/v1beta</c>. The instance named <c>openai</c> falls back to
    /// <c>OPENAI_BASE_URL</c>. Any OpenAI-compatible server (Ollama, vLLM, LM Studio) works as an OpenAI instance.
    /// </summary>
    public string? BaseUrl { get; set; }

    /// <summary>
    /// Gets or sets the model ids this instance serves. A bare model id in a request goes to the instance whose list
    /// contains it; when no list names it, the built-in catalog picks the default instance of the model's type.
    /// </summary>
    public List<string> Models { get; set; } = [];

    /// <summary>Gets or sets the OpenAI organization sent as <c>OpenAI-Organization</c> (OpenAI instances only).</summary>
    public string? Organization { get; set; }

    /// <summary>Gets or sets the OpenAI project sent as <c>OpenAI-Project</c> (OpenAI instances only).</summary>
    public string? Project { get; set; }

    /// <summary>
    /// Gets or sets whether the upstream has OpenAI's Responses API (OpenAI instances only). Defaults to true for
    /// OpenAI's own API and false for other base URLs, since most OpenAI-compatible servers lack it. When false,
    /// <c>/v1/responses</c> requests for this instance are served through its chat completions, translated both ways.
    /// </summary>
    public bool? UseResponsesApi { get; set; }

    /// <summary>
    /// Gets or sets whether non-streaming chat completions over the Responses API run in background mode (OpenAI
    /// instances only): the gateway creates the response with <c>background: true</c>, polls it with exponential
    /// backoff (1 s doubling to 30 s, within <see cref="LlmGatewayOptions.RequestTimeout"/>) until it is completed,
    /// failed or cancelled, answers the client, and deletes the stored response. It suits instances that serve slow
    /// models (o3-pro, deep research), whose answers could outlast a held-open connection. A client that goes away
    /// cancels the background response. Defaults to false.
    /// </summary>
    public bool UseBackgroundMode { get; set; }
}
