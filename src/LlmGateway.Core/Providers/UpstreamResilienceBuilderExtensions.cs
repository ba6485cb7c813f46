using LlmGateway.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace LlmGateway;

/// <summary>Changes the resilience pipeline of the providers' upstream calls.</summary>
public static class UpstreamResilienceBuilderExtensions
{
    /// <summary>
    /// Adds to the resilience pipeline every provider's upstream calls go through (Microsoft.Extensions.Http.Resilience,
    /// Polly). <paramref name="configure"/> runs each time the pipeline is built (at the first call of each provider
    /// type, and again when the configuration reloads), after the gateway's retry and per-upstream circuit breaker
    /// (<see cref="LlmGatewayOptions.Resilience"/>): strategies it adds run inside them, once per attempt, and only
    /// around sending the request and receiving the response headers.
    /// </summary>
    /// <param name="builder">The gateway builder.</param>
    /// <param name="configure">Adds strategies; <see cref="ResilienceHandlerContext.ServiceProvider"/> resolves
    /// services and <see cref="ResilienceHandlerContext.BuilderName"/> tells the provider types' pipelines apart
    /// (<c>LlmGateway.OpenAI-upstream</c>, <c>LlmGateway.Gemini-upstream</c>). Calls add up, in order.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configure"/> is null.</exception>
    public static ILlmGatewayBuilder ConfigureUpstreamResilience(
        this ILlmGatewayBuilder builder,
        Action<ResiliencePipelineBuilder<HttpResponseMessage>, ResilienceHandlerContext> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.AddSingleton(new UpstreamResilienceConfiguration(configure));
        return builder;
    }
}
