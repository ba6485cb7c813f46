using Microsoft.Extensions.Options;

namespace LlmGateway.Internal;

/// <summary>
/// The one place where the environment and the defaults fill in the configuration; it runs before validation.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>With no provider configured at all, an <c>openai</c> and a <c>gemini</c> instance are added for each type
/// whose provider package is registered, so the host serves both with nothing but environment variables.</item>
/// <item><c>OPENAI_API_KEY</c> and <c>OPENAI_BASE_URL</c> fill in the instance named <c>openai</c> (adding it when
/// either is set); <c>GEMINI_API_KEY</c>, else <c>GOOGLE_API_KEY</c>, fills in the one named <c>gemini</c>. They
/// never apply to other instances: a key for OpenAI must not be sent to, say, a local Ollama instance.</item>
/// <item>The type of an instance named <c>openai</c> or <c>gemini</c> (any case) is inferred from its name.</item>
/// </list>
/// </remarks>
internal sealed class EnvironmentFallbackPostConfigure(
    IEnvironmentVariables environment,
    IEnumerable<ILlmProviderFactory> factories) : IPostConfigureOptions<LlmGatewayOptions>
{
    internal const string OpenAIApiKey = "OPENAI_API_KEY";
    internal const string OpenAIBaseUrl = "OPENAI_BASE_URL";
    internal const string GeminiApiKey = "GEMINI_API_KEY";
    internal const string GoogleApiKey = "GOOGLE_API_KEY";

    public void PostConfigure(string? name, LlmGatewayOptions options)
    {
        if (options.Providers.Comparer != StringComparer.OrdinalIgnoreCase)
        {
            options.Providers = new Dictionary<string, ProviderOptions>(options.Providers, StringComparer.OrdinalIgnoreCase);
        }

        var openAIKey = environment.Get(OpenAIApiKey);
        var openAIBaseUrl = environment.Get(OpenAIBaseUrl);
        var geminiKey = environment.Get(GeminiApiKey) ?? environment.Get(GoogleApiKey);
        var noneConfigured = options.Providers.Count == 0;

        AddDefault(options, ProviderTypes.OpenAI, noneConfigured || openAIKey is not null || openAIBaseUrl is not null);
        AddDefault(options, ProviderTypes.Gemini, noneConfigured || geminiKey is not null);

        foreach (var (instanceName, provider) in options.Providers)
        {
            if (string.IsNullOrWhiteSpace(provider.Type))
            {
                provider.Type = InferType(instanceName);
            }

            if (string.Equals(instanceName, ProviderTypes.OpenAI, StringComparison.OrdinalIgnoreCase)
                && string.Equals(provider.Type, ProviderTypes.OpenAI, StringComparison.OrdinalIgnoreCase))
            {
                provider.ApiKey = NullIfBlank(provider.ApiKey) ?? openAIKey;
                provider.BaseUrl = NullIfBlank(provider.BaseUrl) ?? openAIBaseUrl;
            }
            else if (string.Equals(instanceName, ProviderTypes.Gemini, StringComparison.OrdinalIgnoreCase)
                && string.Equals(provider.Type, ProviderTypes.Gemini, StringComparison.OrdinalIgnoreCase))
            {
                provider.ApiKey = NullIfBlank(provider.ApiKey) ?? geminiKey;
            }
        }
    }

    internal static string? InferType(string instanceName) =>
        string.Equals(instanceName, ProviderTypes.OpenAI, StringComparison.OrdinalIgnoreCase) ? ProviderTypes.OpenAI
        : string.Equals(instanceName, ProviderTypes.Gemini, StringComparison.OrdinalIgnoreCase) ? ProviderTypes.Gemini
        : null;

    private void AddDefault(LlmGatewayOptions options, string type, bool wanted)
    {
        if (!wanted || options.Providers.ContainsKey(type) || !IsRegistered(type))
        {
            return;
        }

        options.Providers[type.ToLowerInvariant()] = new ProviderOptions { Type = type };
    }

    private bool IsRegistered(string type)
    {
        foreach (var factory in factories)
        {
            if (string.Equals(factory.Type, type, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static string? NullIfBlank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
