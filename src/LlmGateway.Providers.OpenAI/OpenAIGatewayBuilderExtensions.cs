using System.Net;
using LlmGateway.OpenAI.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http.Resilience;
using Polly;

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
    /// Upstream calls go through an <see cref="HttpClient"/> from <see cref="IHttpClientFactory"/> with a
    /// resilience handler tuned for LLM calls: up to two retries of connection failures, 408 and 5xx on the same
    /// upstream (honouring <c>Retry-After</c>), only before any byte reached the client. There is no resilience
    /// timeout and no circuit breaker here, unlike the standard handler: its 10 s attempt and 30 s total timeouts
    /// would cut generations and streams, the gateway's own <see cref="LlmGatewayOptions.RequestTimeout"/> and
    /// <see cref="LlmGatewayOptions.StreamIdleTimeout"/> bound each call instead (they reload with the
    /// configuration), and failing over between upstreams belongs to routing. A 429 is not retried here: it goes back
    /// to the client with its <c>retry-after</c>, since OpenAI's SDKs retry it themselves.
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
        services.AddHttpClient(HttpClientName, static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler
            {
                AutomaticDecompression = DecompressionMethods.All,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                EnableMultipleHttp2Connections = true,
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .AddResilienceHandler("llm", static pipeline => pipeline.AddRetry(new HttpRetryStrategyOptions
            {
                MaxRetryAttempts = 2,
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                Delay = TimeSpan.FromMilliseconds(500),
                MaxDelay = TimeSpan.FromSeconds(10),
                ShouldRetryAfterHeader = true,
                ShouldHandle = static args => ValueTask.FromResult(ShouldRetry(args.Outcome)),
            }))
            .SelectPipelineByAuthority();
        return builder;
    }

    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException } => true,
        { Result.StatusCode: HttpStatusCode.RequestTimeout } => true,
        { Result: { } response } => (int)response.StatusCode >= 500,
        _ => false,
    };
}
