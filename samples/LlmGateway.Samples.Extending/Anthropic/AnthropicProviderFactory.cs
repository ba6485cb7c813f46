namespace LlmGateway.Samples.Extending.Anthropic;

/// <summary>Creates <see cref="AnthropicProvider"/> instances for <c>LlmGateway:Providers:&lt;name&gt;</c> entries of
/// <c>Type: "Anthropic"</c>, and checks their settings at start-up and on every configuration reload.</summary>
internal sealed class AnthropicProviderFactory(IHttpClientFactory httpClients, TimeProvider timeProvider) : ILlmProviderFactory
{
    /// <summary>The provider type, as written in <c>LlmGateway:Providers:&lt;name&gt;:Type</c>.</summary>
    public const string ProviderType = "Anthropic";

    /// <summary>The base URL when none is configured; requests go to <c>{BaseUrl}/v1/messages</c>.</summary>
    public const string DefaultBaseUrl = "https://api.anthropic.com";

    public string Type => ProviderType;

    public IEnumerable<string> Validate(string name, ProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BaseUrl is { } baseUrl
            && (!Uri.TryCreate(baseUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.Query.Length > 0 || uri.Fragment.Length > 0))
        {
            yield return $"LlmGateway:Providers:{name}:BaseUrl must be an absolute http or https URL without a query or fragment, such as {DefaultBaseUrl}.";
        }
    }

    public ILlmProvider Create(string name, ProviderOptions options, LlmGatewayOptions gatewayOptions) =>
        new AnthropicProvider(name, options, gatewayOptions, httpClients, timeProvider);
}
