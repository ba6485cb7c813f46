using LlmGateway.Gemini.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LlmGateway;

/// <summary>Adds the Gemini provider type to the gateway.</summary>
public static class GeminiGatewayBuilderExtensions
{
    /// <summary>
    /// Registers the <c>Gemini</c> provider type, so <c>LlmGateway:Providers:&lt;name&gt;:Type = Gemini</c> instances
    /// and the default <c>gemini</c> instance are accepted.
    /// </summary>
    /// <param name="builder">The gateway builder.</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// This version registers the type and validates its configuration; it does not translate requests yet, so a
    /// Gemini model is answered with 400 <c>unsupported_operation</c>. The translation to and from the Gemini API is
    /// the next piece of work (see the README).
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static ILlmGatewayBuilder AddGemini(this ILlmGatewayBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILlmProviderFactory, GeminiProviderFactory>());
        return builder;
    }
}
