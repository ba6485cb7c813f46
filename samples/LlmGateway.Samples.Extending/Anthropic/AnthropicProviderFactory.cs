using Microsoft.Extensions.Logging;

namespace LlmGateway.Samples.Extending.Anthropic;

/// <summary>Creates <see cref="AnthropicProvider"/> instances for <c>LlmGateway:Providers:&lt;name&gt;</c> entries of
/// <c>Type: "Anthropic"</c>, and checks their settings at start-up and on every configuration reload.</summary>
public sealed class AnthropicProviderFactory(IHttpMessageHandlerFactory handlers, TimeProvider timeProvider, ILoggerFactory loggerFactory) : ILlmProviderFactory
{
    /// <summary>The provider type, as written in <c>LlmGateway:Providers:&lt;name&gt;:Type</c>.</summary>
    public const string ProviderType = "Anthropic";

    /// <summary>The name of the upstream client (<see cref="LlmGatewayBuilderExtensions.AddUpstreamHttpClient"/>).</summary>
    public const string HttpClientName = "LlmGateway.Samples.Anthropic";

    /// <summary>The base URL when none is configured; requests go to <c>{BaseUrl}/v1/messages</c>.</summary>
    public const string DefaultBaseUrl = "https://api.anthropic.com";

    /// <inheritdoc />
    public string Type => ProviderType;

    /// <inheritdoc />
    public Type OptionsType => typeof(AnthropicProviderOptions);

    /// <inheritdoc />
    public IEnumerable<string> Validate(string name, ProviderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.ValidateBaseUrl(name) is { } error)
        {
            yield return error;
        }

        if (options is AnthropicProviderOptions anthropic)
        {
            if (string.IsNullOrWhiteSpace(anthropic.AnthropicVersion))
            {
                yield return $"LlmGateway:Providers:{name}:AnthropicVersion must not be empty (the Messages API version, such as {AnthropicProviderOptions.DefaultAnthropicVersion}).";
            }

            if (anthropic.DefaultMaxTokens < 1)
            {
                yield return $"LlmGateway:Providers:{name}:DefaultMaxTokens must be at least 1.";
            }
        }
    }

    /// <inheritdoc />
    public ILlmProvider Create(string name, ProviderOptions options, LlmGatewayOptions gatewayOptions)
    {
        ArgumentNullException.ThrowIfNull(options);

        // An instance set in code (AddLlmGateway(o => o.Providers["x"] = new ProviderOptions { … })) may use the
        // common class: it gets Anthropic's defaults for the rest.
        var anthropic = options as AnthropicProviderOptions ?? new AnthropicProviderOptions
        {
            Type = options.Type,
            ApiKey = options.ApiKey,
            BaseUrl = options.BaseUrl,
            Models = options.Models,
        };
        return new AnthropicProvider(name, anthropic, gatewayOptions, UpstreamRequests.CreateInvoker(handlers, HttpClientName), timeProvider, loggerFactory.CreateLogger<AnthropicProvider>());
    }
}
