using LlmGateway.Gemini.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LlmGateway;

/// <summary>Adds the Gemini provider type to the gateway.</summary>
public static class GeminiGatewayBuilderExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the Gemini provider uses.</summary>
    public const string HttpClientName = "LlmGateway.Gemini";

    /// <summary>
    /// Registers the <c>Gemini</c> provider type: Gemini models (the Gemini API v1beta over REST) behind the OpenAI
    /// surface, translated both ways: chat (streaming, tools with thought signatures, structured output, images, audio
    /// and documents), embeddings, speech and the model list.
    /// </summary>
    /// <param name="builder">The gateway builder.</param>
    /// <returns>The builder.</returns>
    /// <remarks>Upstream calls use the same resilience settings as the OpenAI provider (see <c>AddOpenAI</c>).</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static ILlmGatewayBuilder AddGemini(this ILlmGatewayBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(static d => d.ServiceType == typeof(ILlmProviderFactory) && d.ImplementationType == typeof(GeminiProviderFactory)))
        {
            return builder;
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<ILlmProviderFactory, GeminiProviderFactory>());
        services.TryAddSingleton(static sp => new GeminiContextCaches(sp.GetRequiredService<ILlmProviderResolver>(), sp.GetRequiredService<IResourceOwnership>()));
        builder.AddUpstreamHttpClient(HttpClientName);
        return builder;
    }
}
