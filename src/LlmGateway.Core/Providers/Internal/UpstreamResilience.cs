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
/// <para>While other targets remain, the retry is patient rather than off: at most one, after a 500, 502 or 503, or a
/// 429 whose wait is within <see cref="UpstreamResilienceOptions.Patience"/>; every retry is reported to the attempt's
/// <see cref="UpstreamCallState"/> (and, as always, through Polly's telemetry as <c>OnRetry</c>).</para>
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

    /// <summary>The wait before the next retry, chosen by the retry predicate for the delay generator.</summary>
    private static readonly ResiliencePropertyKey<TimeSpan?> s_delay = new("LlmGateway.RetryDelay");

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
        var clock = services.GetService<TimeProvider>() ?? TimeProvider.System;
        builder.TimeProvider = clock;
        if (builder.TelemetryListener is { } telemetry and not QuietTelemetry)
        {
            builder.TelemetryListener = new QuietTelemetry(telemetry);
        }

        if (options.MaxRetries > 0)
        {
            AddRetry(builder, options, clock);
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

    private static void AddRetry(ResiliencePipelineBuilder<HttpResponseMessage> builder, UpstreamResilienceOptions options, TimeProvider clock)
    {
        var settings = new RetrySettings(
            Math.Min(options.MaxRetries, MaxRetriesLimit),
            options.BaseDelay,
            options.MaxRetryWait,
            options.Patience < options.MaxRetryWait ? options.Patience : options.MaxRetryWait,
            clock);
        builder.AddRetry(new RetryStrategyOptions<HttpResponseMessage>
        {
            Name = RetryName,
            MaxRetryAttempts = settings.MaxRetries,
            ShouldHandle = args => ShouldRetryAsync(args, settings),
            DelayGenerator = static args => new ValueTask<TimeSpan?>(args.Context.Properties.GetValue(s_delay, null)),
            OnRetry = static args =>
            {
                if (args.Context.GetRequestMessage() is { } request && request.Options.TryGetValue(UpstreamHttpClient.Call, out var call) && call is not null)
                {
                    call.Retried(ReasonOf(args.Outcome), IsPatient(request));
                }

                return default;
            },
        });
    }

    /// <summary>Whether an attempt's outcome is worth another attempt on the same upstream, and after what wait (kept
    /// for the delay generator). A message marked <see cref="UpstreamHttpClient.Patient"/> (other targets remain) is
    /// retried at most once, only after a 500, 502 or 503, or a 429 asking for a wait within the patience; a wait the
    /// upstream asks for that is too long, or one that would run past the attempt's deadline
    /// (<see cref="UpstreamCallState.NotAfter"/>), is no retry: the caller, or the next target, gets the answer.</summary>
    private static async ValueTask<bool> ShouldRetryAsync(RetryPredicateArguments<HttpResponseMessage> args, RetrySettings settings)
    {
        var context = args.Context;
        context.Properties.Set(s_delay, null);
        if (args.AttemptNumber >= settings.MaxRetries || context.CancellationToken.IsCancellationRequested)
        {
            return false; // the last attempt: its answer goes back as it is (and a 429's body is not read here)
        }

        var request = context.GetRequestMessage();
        UpstreamCallState? call = null;
        var patient = false;
        if (request is not null)
        {
            if (request.Options.TryGetValue(UpstreamHttpClient.NoRetry, out var noRetry) && noRetry)
            {
                return false;
            }

            patient = IsPatient(request);
            request.Options.TryGetValue(UpstreamHttpClient.Call, out call);
        }

        if (patient && (args.AttemptNumber >= 1 || settings.Patience <= TimeSpan.Zero))
        {
            return false; // another target is waiting: one patient retry at most
        }

        TimeSpan delay;
        if (args.Outcome.Exception is { } exception)
        {
            if (patient || exception is not HttpRequestException || exception is UpstreamCircuitOpenException)
            {
                return false;
            }

            delay = Backoff(args.AttemptNumber, settings.BaseDelay, settings.MaxWait);
        }
        else
        {
            var response = args.Outcome.Result!;
            var status = response.StatusCode;
            if (patient ? !IsWorthWaitingFor(status) : !IsRetryable(status))
            {
                return false;
            }

            var longest = patient ? settings.Patience : settings.MaxWait;
            var asked = await UpstreamHttpClient.RequestedDelayAsync(response);
            if (asked > longest || (patient && asked is null && status == HttpStatusCode.TooManyRequests))
            {
                return false; // too long a wait (or, with another target waiting, a rate limit that names none)
            }

            delay = asked ?? Backoff(args.AttemptNumber, settings.BaseDelay, longest);
        }

        if (call?.NotAfter is { } notAfter && settings.Clock.GetUtcNow() + delay >= notAfter)
        {
            return false; // the wait would outlast the request's budget (or a stream's first-byte deadline)
        }

        context.Properties.Set(s_delay, delay);
        return true;
    }

    /// <summary>Whether a status is worth one patient retry while other targets remain: a rate limit (when its wait is
    /// short) or a transient server error; not a timeout (the upstream was slow: another target is faster).</summary>
    private static bool IsWorthWaitingFor(HttpStatusCode status) =>
        status is HttpStatusCode.TooManyRequests or HttpStatusCode.InternalServerError or HttpStatusCode.BadGateway or HttpStatusCode.ServiceUnavailable;

    private static bool IsPatient(HttpRequestMessage request) =>
        request.Options.TryGetValue(UpstreamHttpClient.Patient, out var patient) && patient;

    /// <summary>The reason of a retry, as the <c>llmgateway.retries</c> metric tags it.</summary>
    internal static string ReasonOf(Outcome<HttpResponseMessage> outcome) => outcome.Result?.StatusCode switch
    {
        null => "connection_failed",
        HttpStatusCode.TooManyRequests => "rate_limited",
        HttpStatusCode.RequestTimeout => "request_timeout",
        _ => "server_error",
    };

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

/// <summary>The retry settings of one pipeline, read from the options when it is built.</summary>
/// <param name="MaxRetries">The most retries of a call on the last target.</param>
/// <param name="BaseDelay">The median first backoff.</param>
/// <param name="MaxWait">The longest wait before a retry.</param>
/// <param name="Patience">The longest wait before a patient retry (at most <paramref name="MaxWait"/>).</param>
/// <param name="Clock">The pipeline's clock.</param>
internal sealed record RetrySettings(int MaxRetries, TimeSpan BaseDelay, TimeSpan MaxWait, TimeSpan Patience, TimeProvider Clock);

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
