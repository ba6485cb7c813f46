using Microsoft.Extensions.Logging;

namespace LlmGateway.OpenAI.Internal;

internal sealed class OpenAIProviderFactory(IHttpMessageHandlerFactory handlers, TimeProvider timeProvider, ILoggerFactory loggerFactory) : ILlmProviderFactory
{
    internal const string DefaultBaseUrl = "https://api.openai.com/v1";

    public string Type => ProviderTypes.OpenAI;

    public Type OptionsType => typeof(OpenAIProviderOptions);

    public IEnumerable<string> Validate(string name, ProviderOptions options)
    {
        if (options.ValidateBaseUrl(name) is { } error)
        {
            yield return error;
        }
    }

    public ILlmProvider Create(string name, ProviderOptions options, LlmGatewayOptions gatewayOptions) =>
        new OpenAIProvider(name, AsOpenAI(options), gatewayOptions, handlers, timeProvider, loggerFactory.CreateLogger<OpenAIProvider>());

    /// <summary>The options as OpenAI's: plain <see cref="ProviderOptions"/> (set in code, or a default instance) get
    /// OpenAI's own settings at their defaults.</summary>
    internal static OpenAIProviderOptions AsOpenAI(ProviderOptions options) => options as OpenAIProviderOptions ?? new OpenAIProviderOptions
    {
        Type = options.Type,
        ApiKey = options.ApiKey,
        BaseUrl = options.BaseUrl,
        Models = options.Models,
    };
}
