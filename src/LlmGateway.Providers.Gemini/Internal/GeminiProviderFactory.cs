using LlmGateway.Internal;

namespace LlmGateway.Gemini.Internal;

internal sealed class GeminiProviderFactory : ILlmProviderFactory
{
    internal const string DefaultBaseUrl = "https://generativelanguage.googleapis.com/v1beta";

    public string Type => ProviderTypes.Gemini;

    public IEnumerable<string> Validate(string name, ProviderOptions options)
    {
        if (LlmGatewayOptionsValidator.ValidateBaseUrl(name, options.BaseUrl) is { } error)
        {
            yield return error;
        }
    }

    public ILlmProvider Create(string name, ProviderOptions options, LlmGatewayOptions gatewayOptions) => new GeminiProvider(name);
}
