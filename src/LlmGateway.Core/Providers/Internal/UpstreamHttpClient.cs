using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace LlmGateway.Internal;

/// <summary>
/// Registers the named <see cref="HttpClient"/> a provider type uses for its upstream calls, tuned for LLM calls.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Up to two retries on the same upstream, with jittered exponential backoff, for connection failures, 408, 5xx
/// and 429, honouring <c>Retry-After</c>; a 429 that asks for a longer wait than <see cref="MaxRetryWait"/> goes back
/// to the client at once with its <c>retry-after</c> rather than holding the request. Retries happen only before any
/// byte reached the client: the handler wraps sending and receiving the headers, nothing after.</item>
/// <item>One circuit breaker per base URL (pipelines are selected by authority): when half the calls in 30 s (at
/// least 20) fail, calls to that upstream fail at once with 503 for 15 s, then one is let through to probe it.</item>
/// <item>No resilience timeouts, unlike the standard handler, whose 10 s attempt and 30 s total timeouts would cut
/// generations: the gateway's own <see cref="LlmGatewayOptions.RequestTimeout"/> and
/// <see cref="LlmGatewayOptions.StreamIdleTimeout"/> bound each call, and reload with the configuration.</item>
/// </list>
/// </remarks>
internal static class UpstreamHttpClient
{
    /// <summary>The longest <c>Retry-After</c> the gateway waits out itself before retrying.</summary>
    public static readonly TimeSpan MaxRetryWait = TimeSpan.FromSeconds(10);

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
            .AddResilienceHandler("llm", static pipeline => pipeline
                .AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 2,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(500),
                    MaxDelay = MaxRetryWait,
                    ShouldRetryAfterHeader = true,
                    ShouldHandle = static args => ValueTask.FromResult(ShouldRetry(args.Outcome)),
                })
                .AddCircuitBreaker(new HttpCircuitBreakerStrategyOptions
                {
                    FailureRatio = 0.5,
                    MinimumThroughput = 20,
                    SamplingDuration = TimeSpan.FromSeconds(30),
                    BreakDuration = TimeSpan.FromSeconds(15),
                    ShouldHandle = static args => ValueTask.FromResult(ShouldRetry(args.Outcome) && args.Outcome.Result?.StatusCode != HttpStatusCode.TooManyRequests),
                }))
            .SelectPipelineByAuthority();
    }

    internal static bool ShouldRetry(Outcome<HttpResponseMessage> outcome) => outcome switch
    {
        { Exception: HttpRequestException } => true,
        { Result.StatusCode: HttpStatusCode.RequestTimeout } => true,
        { Result.StatusCode: HttpStatusCode.TooManyRequests } => UpstreamErrors.RetryAfter(outcome.Result) is not { } wait || wait <= MaxRetryWait,
        { Result: { } response } => (int)response.StatusCode >= 500,
        _ => false,
    };
}
