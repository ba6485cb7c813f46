using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace LlmGateway.Internal;

/// <summary>
/// Registers the named <see cref="HttpClient"/> a provider type uses for its upstream calls, tuned for LLM calls.
/// </summary>
/// <remarks>
/// Up to two retries of connection failures, 408 and 5xx on the same upstream (honouring <c>Retry-After</c>), only
/// before any byte reached the client: the handler wraps sending and receiving the headers, nothing after. There is no
/// resilience timeout and no circuit breaker, unlike the standard handler: its 10 s attempt and 30 s total timeouts
/// would cut generations, the gateway's own <see cref="LlmGatewayOptions.RequestTimeout"/> and
/// <see cref="LlmGatewayOptions.StreamIdleTimeout"/> bound each call instead (and reload with the configuration), and
/// failing over between upstreams belongs to routing. A 429 is not retried: it goes back to the client with its
/// <c>retry-after</c>, since the OpenAI SDKs retry it themselves.
/// </remarks>
internal static class UpstreamHttpClient
{
    public static void Add(IServiceCollection services, string name)
    {
        services.AddHttpClient(name, static client => client.Timeout = Timeout.InfiniteTimeSpan)
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
    }

    private static bool ShouldRetry(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException } => true,
        { Result.StatusCode: HttpStatusCode.RequestTimeout } => true,
        { Result: { } response } => (int)response.StatusCode >= 500,
        _ => false,
    };
}
