using LlmGateway.OpenAI.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LlmGateway;

/// <summary>Adds the OpenAI provider type to the gateway.</summary>
public static class OpenAIGatewayBuilderExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the OpenAI provider uses; configure it further with
    /// <c>services.AddHttpClient(OpenAIGatewayBuilderExtensions.HttpClientName)</c>.</summary>
    public const string HttpClientName = "LlmGateway.OpenAI";

    /// <summary>
    /// Registers the <c>OpenAI</c> provider type: OpenAI itself and any OpenAI-compatible server (Ollama, vLLM,
    /// LM Studio) by base URL.
    /// </summary>
    /// <param name="builder">The gateway builder.</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// Upstream calls go through an <see cref="HttpClient"/> from <see cref="IHttpClientFactory"/> with a resilience
    /// handler tuned for LLM calls: up to two retries of connection failures, 408 and 5xx on the same upstream
    /// (honouring <c>Retry-After</c>), only before any byte reached the client; no resilience timeouts, which would
    /// cut generations (the gateway's <see cref="LlmGatewayOptions.RequestTimeout"/> and
    /// <see cref="LlmGatewayOptions.StreamIdleTimeout"/> bound each call); a 429 goes back to the client.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static ILlmGatewayBuilder AddOpenAI(this ILlmGatewayBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(static d => d.ServiceType == typeof(ILlmProviderFactory) && d.ImplementationType == typeof(OpenAIProviderFactory)))
        {
            return builder;
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILlmProviderFactory, OpenAIProviderFactory>());
        builder.AddUpstreamHttpClient(HttpClientName);
        return builder;
    }
}
