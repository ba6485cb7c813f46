using LlmGateway.Internal;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Gemini.Internal;

internal sealed class GeminiProviderFactory(IHttpMessageHandlerFactory handlers, TimeProvider timeProvider, ILoggerFactory loggerFactory) : ILlmProviderFactory
{
    internal const string DefaultBaseUrl = "https://generativelanguage.googleapis.com/v1beta";

    public string Type => ProviderTypes.Gemini;

    public IEnumerable<string> Validate(string name, ProviderOptions options)
    {
        if (LlmGatewayOptionsValidator.ValidateBaseUrl(name, options.BaseUrl) is { } error)
        {
            yield return error;
        }

        if (options.Organization is not null || options.Project is not null || options.UseResponsesApi is not null || options.UseBackgroundMode)
        {
            yield return $"LlmGateway:Providers:{name}: Organization, Project, UseResponsesApi and UseBackgroundMode are OpenAI settings; a Gemini instance has none.";
        }
    }

    public ILlmProvider Create(string name, ProviderOptions options, LlmGatewayOptions gatewayOptions) =>
        new GeminiProvider(name, options, gatewayOptions, handlers, timeProvider, loggerFactory.CreateLogger<GeminiProvider>());
}
