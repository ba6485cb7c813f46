namespace LlmGateway;

/// <summary>
/// One provider instance: <c>LlmGateway:Providers:&lt;name&gt;</c>, with the settings every provider type has.
/// </summary>
/// <remarks>
/// A provider type with settings of its own derives its options class from this one and names it in
/// <see cref="ILlmProviderFactory.OptionsType"/>: the instance's configuration section is then bound to that class
/// (and only its properties are known keys there), and options set in code may be an instance of it.
/// </remarks>
public class ProviderOptions
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

    /// <summary>Checks <see cref="BaseUrl"/>: unset, or an absolute <c>http</c> or <c>https</c> URL.</summary>
    /// <param name="instanceName">The instance name, for the message.</param>
    /// <returns>The problem, naming the key (<c>LlmGateway:Providers:&lt;name&gt;:BaseUrl</c>), or null when there is none.</returns>
    public string? ValidateBaseUrl(string instanceName) => LlmGateway.Internal.LlmGatewayOptionsValidator.ValidateBaseUrl(instanceName, BaseUrl);
}
