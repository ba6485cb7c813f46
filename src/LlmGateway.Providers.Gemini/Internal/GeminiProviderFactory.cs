using Microsoft.Extensions.Logging;

namespace LlmGateway.Gemini.Internal;

internal sealed class GeminiProviderFactory(IHttpMessageHandlerFactory handlers, TimeProvider timeProvider, ILoggerFactory loggerFactory) : ILlmProviderFactory
{
    internal const string DefaultBaseUrl = "https://generativelanguage.googleapis.com/v1beta";

    public string Type => ProviderTypes.Gemini;

    public IEnumerable<string> Validate(string name, ProviderOptions options)
    {
        if (options.ValidateBaseUrl(name) is { } error)
        {
            yield return error;
        }
    }

    public ILlmProvider Create(string name, ProviderOptions options, LlmGatewayOptions gatewayOptions) =>
        new GeminiProvider(name, options, gatewayOptions, handlers, timeProvider, loggerFactory.CreateLogger<GeminiProvider>());
}
