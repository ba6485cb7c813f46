using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LlmGateway.Internal;

/// <summary>
/// Registers the named <see cref="HttpClient"/> a provider type uses for its upstream calls, tuned for LLM calls.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Retries on the same upstream (two by default, <see cref="UpstreamResilienceOptions.MaxRetries"/>), with
/// jittered exponential backoff, for connection failures, 408, 5xx and 429, honouring <c>Retry-After</c>; a 429 that
/// asks for a longer wait than <see cref="UpstreamResilienceOptions.MaxRetryWait"/> (by default
/// <see cref="MaxRetryWait"/>) goes back to the client at once with its <c>retry-after</c> rather than holding the
/// request. While other targets remain (<see cref="Patient"/>), at most one retry, and only where waiting pays
/// (<see cref="UpstreamResilienceOptions.Patience"/>). No wait runs past the attempt's deadline
/// (<see cref="UpstreamCallState.NotAfter"/>). Retries happen only before any byte reached the client: the handler
/// wraps sending and receiving the headers, nothing after.</item>
/// <item>One circuit breaker per upstream (scheme, host and port): by default when half the calls in 30 s (at least
/// 20) fail, calls to that upstream fail at once with 503 for 15 s, then one is let through to probe it; when the
/// failures are one caller's own, only that caller's calls do (<see cref="CircuitScope"/>).</item>
/// <item>Both as a Microsoft.Extensions.Http.Resilience (Polly) pipeline of two strategies, configured to stay cheap
/// (<see cref="UpstreamResilience"/>), bound from <see cref="LlmGatewayOptions.Resilience"/> and rebuilt when the
/// configuration reloads.</item>
/// <item>No compression asked of upstreams: answers are small (a chat completion is a few kilobytes, an event a few
/// hundred bytes) and the gateway reads every one of them, so inflating them costs CPU per request to save little
/// transfer time, and a compressed event stream can arrive in bursts rather than event by event.</item>
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
    /// <summary>Set on a request message to keep the handler from retrying it at all.</summary>
    public static readonly HttpRequestOptionsKey<bool> NoRetry = new("LlmGateway.NoRetry");

    /// <summary>Set on a request message while other targets remain: the handler retries it at most once, and only
    /// where waiting pays (<see cref="UpstreamResilienceOptions.Patience"/>).</summary>
    public static readonly HttpRequestOptionsKey<bool> Patient = new("LlmGateway.Patient");

    /// <summary>Set on a request message to share the attempt's state with the handler (<see cref="UpstreamCallState"/>).</summary>
    public static readonly HttpRequestOptionsKey<UpstreamCallState> Call = new("LlmGateway.Call");

    /// <summary>Set on a request message to name the caller its outcome counts for in the upstream's circuit
    /// (<see cref="CircuitScope.CallerOf"/>); a message without it counts as in-process.</summary>
    public static readonly HttpRequestOptionsKey<string> Caller = new("LlmGateway.Caller");

    /// <summary>Marks a request message according to <see cref="ProviderRequest.AllowRetries"/>,
    /// <see cref="ProviderRequest.CallerId"/> and <see cref="ProviderRequest.Upstream"/>.</summary>
    public static void Apply(HttpRequestMessage message, ProviderRequest request)
    {
        if (!request.AllowRetries)
        {
            message.Options.Set(Patient, true);
        }

        if (request.Upstream is { } call)
        {
            message.Options.Set(Call, call);
        }

        if (request.CallerId is { } caller)
        {
            message.Options.Set(Caller, caller);
        }
    }

    /// <summary>The longest <c>Retry-After</c> the gateway waits out itself before retrying.</summary>
    public static readonly TimeSpan MaxRetryWait = TimeSpan.FromSeconds(10);

    public static void Add(IServiceCollection services, string name)
    {
        services.AddHttpClient(name, static client => client.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(static () => new SocketsHttpHandler
            {
                AutomaticDecompression = DecompressionMethods.None,
                PooledConnectionLifetime = TimeSpan.FromMinutes(5),
                EnableMultipleHttp2Connections = true,
            })
            .SetHandlerLifetime(Timeout.InfiniteTimeSpan)
            .RemoveAllLoggers();
        UpstreamResilience.AddTo(services.AddHttpClient(name));
        services.TryAddSingleton<UpstreamCircuits>(static services => new UpstreamCircuits(services.GetService<TimeProvider>() ?? TimeProvider.System));
    }

    /// <summary>
    /// The invoker a provider sends with: the named client's handler chain, without an <see cref="HttpClient"/> in
    /// front. A client made per call (<c>CreateClient</c>) costs an object, a cancellation source and a linked token
    /// per request, for a timeout and default headers the gateway does not use; the chain is kept for good (its
    /// lifetime is infinite, and pooled connections are renewed every five minutes for DNS changes).
    /// </summary>
    public static HttpMessageInvoker CreateInvoker(IHttpMessageHandlerFactory handlers, string name) =>
        new(handlers.CreateHandler(name), disposeHandler: false);

    /// <summary>
    /// The wait an upstream asks for: <c>Retry-After</c> (or OpenAI's rate-limit reset headers), else a Google
    /// <c>RetryInfo</c> in a 429's body (the body is buffered, capped, so it can still be read afterwards); null means
    /// the usual backoff.
    /// </summary>
    internal static async ValueTask<TimeSpan?> RequestedDelayAsync(HttpResponseMessage response)
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
