using System.Diagnostics;
using System.Diagnostics.Metrics;

namespace LlmGateway.Internal;

/// <summary>
/// The request instruments of the <c>LlmGateway</c> meter: OpenTelemetry's GenAI client metrics (the gateway is a
/// client of its providers) and the gateway's own <c>llmgateway.*</c> ones (the HTTP layer adds <c>llmgateway.requests</c> and
/// <c>llmgateway.overhead</c> to the same meter, and counts its own refusals in <c>llmgateway.errors</c>). Tags are low-cardinality only: a model
/// shows by name only when the configuration or an upstream's model list spells it out (see
/// <see cref="RouteTable.NameOf"/>), any other name a client sends as <see cref="RouteTable.UnresolvedModel"/>, so
/// made-up model names cannot grow the series; providers by their configured instance names; never a request id, a
/// key or a key name.
/// </summary>
internal sealed class GatewayMetrics
{
    public const string Duration = "gen_ai.client.operation.duration";
    public const string TokenUsage = "gen_ai.client.token.usage";
    public const string TimeToFirstChunk = "gen_ai.client.operation.time_to_first_chunk";
    public const string Errors = "llmgateway.errors";
    public const string Attempts = "llmgateway.attempts";
    public const string Fallbacks = "llmgateway.fallbacks";
    public const string CircuitOpen = "llmgateway.circuit.open";
    public const string Retries = "llmgateway.retries";
    public const string FirstByteTimeouts = "llmgateway.first_byte_timeouts";
    public const string Continuations = "llmgateway.continuations";

    // The GenAI conventions' bucket advice; OpenTelemetry's default buckets are made for milliseconds.
    private static readonly double[] s_secondsBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];
    private static readonly long[] s_tokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];
    private static readonly int[] s_attemptBuckets = [1, 2, 3, 4, 5, 6, 8, 10];

    private readonly Histogram<double> _duration;
    private readonly Histogram<long> _tokens;
    private readonly Histogram<double> _timeToFirstChunk;
    private readonly Counter<long> _errors;
    private readonly Histogram<int> _attempts;
    private readonly Counter<long> _fallbacks;
    private readonly Counter<long> _retries;
    private readonly Counter<long> _firstByteTimeouts;
    private readonly Counter<long> _continuations;

    public GatewayMetrics(IMeterFactory meterFactory, TargetHealth health)
    {
        // The factory hands out one Meter per name: this is the same meter as UsageMetrics'.
        var meter = meterFactory.Create(UsageMetrics.MeterName);
        _duration = meter.CreateHistogram(Duration, "s", "GenAI operation duration: from the request to its answer, or for a stream to its end.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = s_secondsBuckets });
        _tokens = meter.CreateHistogram(TokenUsage, "{token}", "Number of input and output tokens used, as the upstream reported them.", tags: null, new InstrumentAdvice<long> { HistogramBucketBoundaries = s_tokenBuckets });
        _timeToFirstChunk = meter.CreateHistogram(TimeToFirstChunk, "s", "Time from the request to the first event of a streamed answer.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = s_secondsBuckets });
        _errors = meter.CreateCounter<long>(Errors, "{error}", "Requests answered with an error, or streams that failed after they started, by error type.");
        _attempts = meter.CreateHistogram(Attempts, "{attempt}", "Targets tried per routed request.", tags: null, new InstrumentAdvice<int> { HistogramBucketBoundaries = s_attemptBuckets });
        _fallbacks = meter.CreateCounter<long>(Fallbacks, "{request}", "Requests answered by a target other than the first one tried.");
        _retries = meter.CreateCounter<long>(Retries, "{retry}", "Retries of an attempt on the same target by the upstream handler, by reason; patient ones were made while other targets remained.");
        _firstByteTimeouts = meter.CreateCounter<long>(FirstByteTimeouts, "{attempt}", "Streamed attempts abandoned because the upstream sent no response headers and first event in time (LlmGateway:FirstTokenTimeout).");
        _continuations = meter.CreateCounter<long>(Continuations, "{stream}", "Chat streams cut after output reached the client, by what became of them (llmgateway.continuation.outcome).");
        meter.CreateObservableGauge(CircuitOpen, () => Circuits(health), "{circuit}", "Whether a target's circuit is open (1) and requests skip it, or not (0); targets that never failed are not listed.");
    }

    public void RecordDuration(TimeSpan elapsed, in TagList tags) => _duration.Record(elapsed.TotalSeconds, tags);

    public void RecordTimeToFirstChunk(TimeSpan elapsed, in TagList tags) => _timeToFirstChunk.Record(elapsed.TotalSeconds, tags);

    public void RecordTokens(long count, string type, TagList tags)
    {
        tags.Add("gen_ai.token.type", type);
        _tokens.Record(count, tags);
    }

    public void RecordAttempts(int attempts, in TagList tags) => _attempts.Record(attempts, tags);

    public void RecordFallback(in TagList tags) => _fallbacks.Add(1, tags);

    /// <summary>Counts a same-target retry of an attempt on instance <paramref name="provider"/>.</summary>
    public void RecordRetry(string operation, string? provider, string reason, bool patient) => _retries.Add(1, new TagList
    {
        { "gen_ai.operation.name", operation },
        { "llmgateway.provider", provider },
        { "llmgateway.retry.reason", reason },
        { "llmgateway.retry.patient", patient },
    });

    /// <summary>Counts a streamed attempt on instance <paramref name="provider"/> abandoned at its first-byte deadline.</summary>
    public void RecordFirstByteTimeout(string operation, string? provider) => _firstByteTimeouts.Add(1, new TagList
    {
        { "gen_ai.operation.name", operation },
        { "llmgateway.provider", provider },
    });
    /// <summary>Counts a cut stream and what became of it (see <see cref="StreamContinuation"/>).</summary>
    public void RecordContinuation(string outcome, string operation) =>
        _continuations.Add(1, new TagList { { "gen_ai.operation.name", operation }, { "llmgateway.continuation.outcome", outcome } });

    /// <summary>Counts an error; <paramref name="operation"/> is the GenAI operation name, when known.</summary>
    public void RecordError(string errorType, string? operation)
    {
        var tags = new TagList { { "error.type", errorType } };
        if (operation is not null)
        {
            tags.Add("gen_ai.operation.name", operation);
        }

        _errors.Add(1, tags);
    }

    private static IEnumerable<Measurement<int>> Circuits(TargetHealth health)
    {
        foreach (var (target, open) in health.Circuits())
        {
            yield return new Measurement<int>(open ? 1 : 0, new KeyValuePair<string, object?>("llmgateway.target", target));
        }
    }
}
