using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;
using Polly.Retry;
using Polly.Telemetry;

namespace LlmGateway.Internal;

/// <summary>
/// The resilience pipeline of each upstream call (Microsoft.Extensions.Http.Resilience, Polly), two strategies and no
/// more: a retry (<see cref="AddRetry"/>) around the per-upstream circuit (<see cref="UpstreamCircuitStrategy"/>), so
/// every attempt, retries included, passes the circuit and counts in it. Settings come from
/// <see cref="LlmGatewayOptions.Resilience"/> and reload with the configuration; then strategies added with
/// <see cref="UpstreamResilienceBuilderExtensions.ConfigureUpstreamResilience"/> run inside them, once per attempt.
/// </summary>
/// <remarks>
/// <para>Kept cheap by configuration rather than by a hand-written handler (a standard resilience handler measured at
/// about a tenth of the gateway's CPU per request): no timeout strategies (the gateway's own
/// <see cref="LlmGatewayOptions.RequestTimeout"/> bounds each call), no rate limiter, no hedging, one pipeline per
/// named client rather than one per authority (the circuit keys its state by authority itself, so
/// <c>SelectPipelineByAuthority</c>'s per-request key lookup and per-authority pipelines are not needed), and lean
/// telemetry: a call that needs no retry reports nothing (<see cref="QuietTelemetry"/>), so the events, logs and
/// metrics are the retries and the circuit's changes, not a line per request.</para>
/// <para>Retries happen only before any byte reached the client, because the handler covers sending the request and
/// receiving the response headers; the body is read afterwards, outside it.</para>
/// </remarks>
internal static class UpstreamResilience
{
    /// <summary>The name of the resilience handler: the pipeline of client <c>LlmGateway.OpenAI</c> is named
    /// <c>LlmGateway.OpenAI-upstream</c> in Polly's telemetry (<c>pipeline.name</c>).</summary>
    public const string HandlerName = "upstream";

    /// <summary>The strategy names in telemetry (<c>strategy.name</c>).</summary>
    public const string RetryName = "UpstreamRetry";

    /// <inheritdoc cref="RetryName"/>
    public const string CircuitName = "UpstreamCircuit";

    /// <summary>The most retries <see cref="UpstreamResilienceOptions.MaxRetries"/> may ask for.</summary>
    public const int MaxRetriesLimit = 10;

    /// <summary>The wait an upstream asked for, found by the retry predicate for the delay generator.</summary>
    private static readonly ResiliencePropertyKey<TimeSpan?> s_askedDelay = new("LlmGateway.AskedDelay");

    /// <summary>Adds the pipeline to the named client <paramref name="client"/>.</summary>
    public static void AddTo(IHttpClientBuilder client)
    {
        client.AddResilienceHandler(HandlerName, static (builder, context) => Configure(builder, context));
    }

    /// <summary>Builds the pipeline from the current options; called again by a configuration reload.</summary>
    internal static void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, ResilienceHandlerContext context)
    {
        var services = context.ServiceProvider;
        context.EnableReloads<LlmGatewayOptions>();
        var options = context.GetOptions<LlmGatewayOptions>().Resilience ?? new UpstreamResilienceOptions();
        builder.TimeProvider = services.GetService<TimeProvider>() ?? TimeProvider.System;
        if (builder.TelemetryListener is { } telemetry and not QuietTelemetry)
        {
            builder.TelemetryListener = new QuietTelemetry(telemetry);
        }

        if (options.MaxRetries > 0)
        {
            AddRetry(builder, options);
        }

        var circuits = services.GetRequiredService<UpstreamCircuits>();
        circuits.Configure(UpstreamBreakerSettings.From(options));
        builder.AddStrategy(
            strategyContext => new UpstreamCircuitStrategy(circuits, strategyContext.Telemetry),
            new UpstreamCircuitStrategyOptions());

        foreach (var configure in services.GetServices<UpstreamResilienceConfiguration>())
        {
            configure.Configure(builder, context);
        }
    }

    private static void AddRetry(ResiliencePipelineBuilder<HttpResponseMessage> builder, UpstreamResilienceOptions options)
    {
        var maxRetries = Math.Min(options.MaxRetries, MaxRetriesLimit);
        var baseDelay = options.BaseDelay;
        var maxWait = options.MaxRetryWait;
        builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            Name = RetryName,
            MaxRetryAttempts = maxRetries,
            ShouldHandle = args => ShouldRetryAsync(args, maxRetries, maxWait),
            DelayGenerator = args => new ValueTask<TimeSpan?>(
                args.Context.Properties.GetValue(s_askedDelay, null) ?? Backoff(args.AttemptNumber, baseDelay, maxWait)),
        });
    }

    /// <summary>Whether an attempt's outcome is worth another attempt on the same upstream; for a response, also finds
    /// the wait the upstream asked for (too long a wait: no retry, the caller gets the status and its retry-after).</summary>
    private static async ValueTask<bool> ShouldRetryAsync(RetryPredicateArguments<HttpResponseMessage> args, int maxRetries, TimeSpan maxWait)
    {
        var context = args.Context;
        context.Properties.Set(s_askedDelay, null);
        if (args.AttemptNumber >= maxRetries || context.CancellationToken.IsCancellationRequested)
        {
            return false; // the last attempt: its answer goes back as it is (and a 429's body is not read here)
        }

        if (context.GetRequestMessage() is { } request && request.Options.TryGetValue(UpstreamHttpClient.NoRetry, out var noRetry) && noRetry)
        {
            return false;
        }

        if (args.Outcome.Exception is { } exception)
        {
            return exception is HttpRequestException and not UpstreamCircuitOpenException;
        }

        var response = args.Outcome.Result!;
        if (!IsRetryable(response.StatusCode))
        {
            return false;
        }

        var asked = await UpstreamHttpClient.RequestedDelayAsync(response);
        if (asked > maxWait)
        {
            return false;
        }

        context.Properties.Set(s_askedDelay, asked);
        return true;
    }

    /// <summary>Whether a status is worth another attempt on the same upstream.</summary>
    public static bool IsRetryable(HttpStatusCode status) =>
        status is HttpStatusCode.RequestTimeout or HttpStatusCode.TooManyRequests || (int)status >= 500;

    /// <summary>The wait before retry <paramref name="attempt"/> + 1: <paramref name="baseDelay"/>, twice that, …
    /// with ±25 % jitter, at most <paramref name="maxWait"/>.</summary>
    public static TimeSpan Backoff(int attempt, TimeSpan baseDelay, TimeSpan maxWait)
    {
        var median = baseDelay.TotalMilliseconds * (1 << Math.Min(attempt, 10));
        var jittered = median * (0.75 + (Random.Shared.NextDouble() * 0.5));
        return TimeSpan.FromMilliseconds(Math.Min(jittered, maxWait.TotalMilliseconds));
    }

    /// <summary>
    /// Polly's telemetry (Polly.Extensions, set up by Microsoft.Extensions.Http.Resilience) reports every call
    /// (<c>PipelineExecuting</c>, <c>PipelineExecuted</c>) and every attempt (<c>ExecutionAttempt</c>), each a metric
    /// point with its tags and enrichers and a log call, whatever their severity. For the upstream pipelines those of a
    /// call that needed no retry are not passed on: the events, logs and metrics that remain are the retries, the
    /// handled attempts and the circuit's changes.
    /// </summary>
    private sealed class QuietTelemetry(TelemetryListener inner) : TelemetryListener
    {
        public override void Write<TResult, TArgs>(in TelemetryEventArguments<TResult, TArgs> args)
        {
            var @event = args.Event;
            if (@event.EventName is "PipelineExecuting" or "PipelineExecuted"
                || (@event.Severity == ResilienceEventSeverity.Information && @event.EventName == "ExecutionAttempt"))
            {
                return;
            }

            inner.Write(in args);
        }
    }
}

/// <summary>The options of <see cref="UpstreamCircuitStrategy"/>: its name in telemetry.</summary>
internal sealed class UpstreamCircuitStrategyOptions : ResilienceStrategyOptions
{
    public UpstreamCircuitStrategyOptions() => Name = UpstreamResilience.CircuitName;
}

/// <summary>
/// The per-upstream circuit as a Polly strategy: each attempt asks the upstream's circuit
/// (<see cref="UpstreamCircuits"/>) whether the request's caller may call it, and records its outcome for that caller;
/// a refused attempt fails with <see cref="UpstreamCircuitOpenException"/>, which the retry does not retry.
/// </summary>
/// <remarks>
/// Not Polly's circuit breaker: its state is one circuit for all calls through a pipeline, while this one has to hold
/// back one caller whose own requests fail without opening for the others (<see cref="CircuitScope"/>), keep its
/// state by upstream authority across every provider type's pipeline, and keep it across a configuration reload that
/// rebuilds the pipeline. The circuit's changes are reported through Polly's telemetry (meter <c>Polly</c>, logger
/// <c>Polly</c>) as <c>OnCircuitOpened</c>, <c>OnCircuitClosed</c>, <c>OnCallerHeld</c> and
/// <c>OnCallerReleased</c>; the caller is not a tag, so the metric's series stay few.
/// </remarks>
internal sealed class UpstreamCircuitStrategy(UpstreamCircuits circuits, ResilienceStrategyTelemetry telemetry) : ResilienceStrategy<HttpResponseMessage>
{
    private static readonly ResilienceEvent s_opened = new(ResilienceEventSeverity.Error, "OnCircuitOpened");
    private static readonly ResilienceEvent s_closed = new(ResilienceEventSeverity.Information, "OnCircuitClosed");
    private static readonly ResilienceEvent s_held = new(ResilienceEventSeverity.Warning, "OnCallerHeld");
    private static readonly ResilienceEvent s_released = new(ResilienceEventSeverity.Information, "OnCallerReleased");

    protected override async ValueTask<Outcome<HttpResponseMessage>> ExecuteCore<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<HttpResponseMessage>>> callback,
        ResilienceContext context,
        TState state)
    {
        var request = context.GetRequestMessage();
        if (request?.RequestUri is not { } uri)
        {
            return await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
        }

        var circuit = circuits.For(uri);
        var caller = request.Options.TryGetValue(UpstreamHttpClient.Caller, out var id) && id is not null ? id : GatewayCaller.InProcessId;
        if (!circuit.TryEnter(caller))
        {
            return Outcome.FromException<HttpResponseMessage>(
                new UpstreamCircuitOpenException(circuit.RetryAfter(caller), callerOnly: circuit.IsHeld(caller)));
        }

        var outcome = await callback(context, state).ConfigureAwait(context.ContinueOnCapturedContext);
        CircuitChange change;
        switch (outcome.Exception)
        {
            case null:
                var status = outcome.Result!.StatusCode;
                change = circuit.Record(caller, failed: UpstreamResilience.IsRetryable(status) && status != HttpStatusCode.TooManyRequests);
                break;
            case HttpRequestException when !context.CancellationToken.IsCancellationRequested:
                change = circuit.Record(caller, failed: true);
                break;
            case OperationCanceledException:
                circuit.Abandon();
                return outcome;
            default:
                return outcome;
        }

        if (change != CircuitChange.None)
        {
            Report(change, context, uri);
        }

        return outcome;
    }

    private void Report(CircuitChange change, ResilienceContext context, Uri uri)
    {
        var @event = change switch
        {
            CircuitChange.Opened => s_opened,
            CircuitChange.Closed => s_closed,
            CircuitChange.CallerHeld => s_held,
            _ => s_released,
        };
        telemetry.Report(@event, context, new UpstreamCircuitArguments(uri.GetLeftPart(UriPartial.Authority)));
    }
}

/// <summary>The arguments of an upstream circuit event: the upstream, for the log line.</summary>
/// <param name="Upstream">The scheme, host and port.</param>
internal readonly record struct UpstreamCircuitArguments(string Upstream);

/// <summary>A pipeline change registered with
/// <see cref="UpstreamResilienceBuilderExtensions.ConfigureUpstreamResilience"/>.</summary>
internal sealed class UpstreamResilienceConfiguration(Action<ResiliencePipelineBuilder<HttpResponseMessage>, ResilienceHandlerContext> configure)
{
    public void Configure(ResiliencePipelineBuilder<HttpResponseMessage> builder, ResilienceHandlerContext context) => configure(builder, context);
}
