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
/// <item>No IHttpClientFactory request loggers: two logging handlers and a log scope per upstream call cost about a
/// tenth of the gateway's CPU per request under load (measured with dotnet-trace), and the gateway writes its own line
/// per request and per failure.</item>
/// <item>No resilience timeouts, unlike the standard handler, whose 10 s attempt and 30 s total timeouts would cut
/// generations: the gateway's own <see cref="LlmGatewayOptions.RequestTimeout"/> and
/// <see cref="LlmGatewayOptions.StreamIdleTimeout"/> bound each call, and reload with the configuration.</item>
/// </list>
/// </remarks>
internal static class UpstreamHttpClient
{
    /// <summary>Set on a request message to keep the handler from retrying it (another target will be tried).</summary>
    public static readonly HttpRequestOptionsKey<bool> NoRetry = new("LlmGateway.NoRetry");

    /// <summary>Marks a request message according to <see cref="ProviderRequest.AllowRetries"/>.</summary>
    public static void Apply(HttpRequestMessage message, ProviderRequest request)
    {
        if (!request.AllowRetries)
        {
            message.Options.Set(NoRetry, true);
        }
    }

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
            .RemoveAllLoggers()
            .AddResilienceHandler("llm", static pipeline => pipeline
                .AddRetry(new HttpRetryStrategyOptions
                {
                    MaxRetryAttempts = 2,
                    BackoffType = DelayBackoffType.Exponential,
                    UseJitter = true,
                    Delay = TimeSpan.FromMilliseconds(500),
                    MaxDelay = MaxRetryWait,
                    ShouldHandle = static args => args.Context.GetRequestMessage()?.Options.TryGetValue(NoRetry, out var noRetry) == true && noRetry
                        ? ValueTask.FromResult(false)
                        : ShouldRetryAsync(args.Outcome),
                    DelayGenerator = static args => RequestedDelayAsync(args.Outcome),
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
        { Result.StatusCode: HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests } => true,
        { Result: { } response } => (int)response.StatusCode >= 500,
        _ => false,
    };

    /// <summary>A failure is retried only when the wait it asks for (header, or a 429's body) is short.</summary>
    private static async ValueTask<bool> ShouldRetryAsync(Outcome<HttpResponseMessage> outcome) =>
        ShouldRetry(outcome)
        && (outcome.Result is not { } response || await RequestedDelayAsync(response) is not { } wait || wait <= MaxRetryWait);

    /// <summary>
    /// The wait an upstream asks for: <c>Retry-After</c> (or OpenAI's rate-limit reset headers), else a Google
    /// <c>RetryInfo</c> in a 429's body (the body is buffered, capped, so it can still be read afterwards); null means
    /// the usual backoff.
    /// </summary>
    private static ValueTask<TimeSpan?> RequestedDelayAsync(Outcome<HttpResponseMessage> outcome) =>
        outcome.Result is { } response ? RequestedDelayAsync(response) : ValueTask.FromResult<TimeSpan?>(null);

    private static async ValueTask<TimeSpan?> RequestedDelayAsync(HttpResponseMessage response)
    {
        if (UpstreamErrors.RetryAfter(response) is { } header)
        {
            return header;
        }

        if (response.StatusCode != HttpStatusCode.TooManyRequests)
        {
            return null;
        }

        try
        {
            await response.Content.LoadIntoBufferAsync(UpstreamErrors.MaxErrorBodySize);
            return UpstreamErrors.RetryInfoDelay(await response.Content.ReadAsByteArrayAsync());
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or InvalidOperationException)
        {
            return null;
        }
    }
}
