using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// What the HTTP layer tells about one forwarded request: the gateway's own time (the <c>x-llmgateway-overhead-ms</c>
/// header and the <c>llmgateway.overhead</c> histogram), the errors answered before the pipeline ran, and the one
/// Information line per request, written when the answer, or a stream, has ended.
/// </summary>
internal sealed class RequestRecord
{
    private readonly HttpContext _context;
    private readonly GatewayOperation _operation;
    private readonly HttpMetrics _metrics;
    private readonly string _endpoint;
    private readonly long _started;
    private string? _earlyError;

    public RequestRecord(HttpContext context, GatewayOperation operation, HttpMetrics metrics)
    {
        _context = context;
        _operation = operation;
        _metrics = metrics;
        _endpoint = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unknown";
        Clock = context.RequestServices.GetRequiredService<TimeProvider>();
        _started = Clock.GetTimestamp();
    }

    /// <summary>Gets the clock the pipeline measures the upstream with, so the two times can be subtracted.</summary>
    public TimeProvider Clock { get; }

    /// <summary>Gets or sets the time spent reading the request body: the client's time, not the gateway's.</summary>
    public TimeSpan ClientTime { get; set; }

    /// <summary>Gets or sets the pipeline's answer, once there is one.</summary>
    public GatewayResponse? Response { get; set; }

    /// <summary>Answers an error found before the pipeline ran (authentication, the body, the URL, the headers).</summary>
    public Task RefuseAsync(GatewayError error)
    {
        _earlyError = _metrics.RecordRefusal(error, _operation);
        return ErrorResults.WriteAsync(_context, error);
    }

    /// <summary>
    /// Sets the overhead header, just before the answer's headers go out: the time so far, less the client's body
    /// upload and the time inside provider calls up to the answer (or a stream's first event).
    /// </summary>
    public void WriteOverhead(HttpResponse http)
    {
        if (Response?.Telemetry is not { } telemetry)
        {
            return;
        }

        var overhead = Clock.GetElapsedTime(_started) - ClientTime - telemetry.UpstreamTime;
        if (overhead < TimeSpan.Zero)
        {
            overhead = TimeSpan.Zero;
        }

        http.Headers[ForwardEndpoint.OverheadHeader] = overhead.TotalMilliseconds.ToString("F3", CultureInfo.InvariantCulture);
        _metrics.RecordOverhead(overhead, _endpoint);
    }

    /// <summary>Writes the request's line; no key, header, prompt or completion is in it, and the model (which a client
    /// may have named) is escaped.</summary>
    public void Log(ILogger logger)
    {
        if (!logger.IsEnabled(LogLevel.Information))
        {
            return;
        }

        var telemetry = Response?.Telemetry;
        logger.RequestCompleted(
            _endpoint,
            _context.Response.StatusCode,
            Math.Round(Clock.GetElapsedTime(_started).TotalMilliseconds, 1),
            ClientText.ForLog(Response?.ProviderName ?? "-"),
            ClientText.ForLog(Response?.TargetModel ?? "-"),
            telemetry?.Attempts ?? 0,
            telemetry?.Retries ?? 0,
            telemetry?.InputTokens ?? 0,
            telemetry?.OutputTokens ?? 0,
            telemetry?.CacheHit switch { true => "HIT", false => "MISS", null => "-" },
            telemetry?.ErrorType ?? _earlyError ?? "-",
            telemetry?.Continuation ?? "-",
            telemetry?.HedgeWon switch { true => "won", false => "lost", null => "-" });
    }
}
