using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// The HTTP layer's instruments, on the same <c>LlmGateway</c> meter as the gateway's own: <c>llmgateway.requests</c>
/// (by endpoint and status), <c>llmgateway.overhead</c> (by endpoint), and the refusals it answers before the pipeline
/// runs, counted in <c>llmgateway.errors</c> with the pipeline's errors.
/// </summary>
internal sealed class HttpMetrics
{
    /// <summary>The meter LlmGateway.Core's instruments are on.</summary>
    public const string MeterName = "LlmGateway";

    private static readonly double[] s_overheadBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

    private readonly Counter<long> _requests;
    private readonly Counter<long> _errors;
    private readonly Histogram<double> _overhead;

    public HttpMetrics(IMeterFactory meterFactory)
    {
        // The factory hands out one Meter per name, so these are on LlmGateway.Core's meter. The errors counter is
        // created with Core's exact name, unit and description: the meter then hands back Core's own instrument.
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>("llmgateway.requests", "{request}", "Requests answered by the gateway's endpoints, by endpoint and status.");
        _errors = meter.CreateCounter<long>("llmgateway.errors", "{error}", "Requests answered with an error, or streams that failed after they started, by error type.");
        _overhead = meter.CreateHistogram("llmgateway.overhead", "s", "Time spent in the gateway apart from waiting on the upstream, up to the answer or a stream's first event.", tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = s_overheadBuckets });
    }

    public static HttpMetrics Create(IServiceProvider services) => new(services.GetRequiredService<IMeterFactory>());

    /// <summary>Counts a request answered by an endpoint; <paramref name="endpoint"/> is its route pattern.</summary>
    public void RecordRequest(string endpoint, int statusCode) =>
        _requests.Add(1, new KeyValuePair<string, object?>("llmgateway.endpoint", endpoint), new KeyValuePair<string, object?>("http.response.status_code", statusCode));

    public void RecordOverhead(TimeSpan overhead, string endpoint) =>
        _overhead.Record(overhead.TotalSeconds, new KeyValuePair<string, object?>("llmgateway.endpoint", endpoint));

    /// <summary>Counts an error answered before the pipeline ran: its kind's own code as <c>error.type</c> (not an
    /// override such as <c>key_not_found</c>), as the pipeline counts its errors.</summary>
    /// <returns>The <c>error.type</c> counted.</returns>
    public string RecordRefusal(GatewayError error, GatewayOperation operation)
    {
        var errorType = new GatewayError(error.Kind, error.Message).Code ?? error.Kind.ToString();
        _errors.Add(1, new KeyValuePair<string, object?>("error.type", errorType), new KeyValuePair<string, object?>("gen_ai.operation.name", OperationName(operation)));
        return errorType;
    }

    /// <summary>The GenAI <c>gen_ai.operation.name</c> of an operation, as the pipeline tags it.</summary>
    internal static string OperationName(GatewayOperation operation) => operation switch
    {
        GatewayOperation.ChatCompletions or GatewayOperation.Responses => "chat",
        GatewayOperation.Embeddings => "embeddings",
        GatewayOperation.AudioSpeech => "speech",
        GatewayOperation.AudioTranscriptions => "transcription",
        GatewayOperation.AudioTranslations => "translation",
        _ => "response_resource",
    };
}
