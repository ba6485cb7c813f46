using LlmGateway.Internal;
using Microsoft.Extensions.Logging;

namespace LlmGateway.OpenAI.Internal;

internal sealed class OpenAIProviderFactory(IHttpMessageHandlerFactory handlers, TimeProvider timeProvider, ILoggerFactory loggerFactory) : ILlmProviderFactory
{
    internal const string DefaultBaseUrl = "https://api.openai.com/v1";

    public string Type => ProviderTypes.OpenAI;

    public IEnumerable<string> Validate(string name, ProviderOptions options)
    {
        if (LlmGatewayOptionsValidator.ValidateBaseUrl(name, options.BaseUrl) is { } error)
        {
            yield return error;
        }
    }

    public ILlmProvider Create(string name, ProviderOptions options, LlmGatewayOptions gatewayOptions) =>
        new OpenAIProvider(name, options, gatewayOptions, handlers, timeProvider, loggerFactory.CreateLogger<OpenAIProvider>());
}
