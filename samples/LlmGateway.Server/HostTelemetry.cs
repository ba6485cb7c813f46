using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LlmGateway.Server;

/// <summary>
/// The host's OpenTelemetry: the libraries only emit (meter and activity source <c>LlmGateway</c>), so which exporters
/// run is the app's choice. This host scrapes to Prometheus at <c>/metrics</c> and, when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, also sends metrics and traces over OTLP (the exporter reads the other
/// standard <c>OTEL_EXPORTER_OTLP_*</c> variables itself); without it, no traces are collected at all.
/// </summary>
internal static class HostTelemetry
{
    private const string GatewaySource = "LlmGateway";
    private const string PollySource = "Polly";

    public static void AddGatewayTelemetry(this WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        var telemetry = builder.Services.AddOpenTelemetry();
        telemetry
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : "llmgateway"))
            .WithMetrics(metrics =>
            {
                // No HttpClient metrics: the gateway's own gen_ai.client.operation.duration measures every upstream
                // call by model and provider, and listening to System.Net.Http's meter costs a few per cent of CPU.
                // ASP.NET Core's own meters directly rather than AddAspNetCoreInstrumentation(), which adds the same
                // meters plus the routing one and a middleware per request that only tags unhandled exceptions
                // (the gateway's endpoints handle every exception themselves): measured, a per cent or two of CPU.
                // Polly's meter for the upstream pipelines' retries and circuit changes (resilience.polly.strategy.events,
                // a few series per provider type: no caller, host or model among its tags); its per-call duration
                // histograms are dropped, since the gateway's own metrics time every call.
                metrics.AddMeter(GatewaySource)
                    .AddMeter("Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "Microsoft.AspNetCore.Diagnostics")
                    .AddMeter(PollySource)
                    .AddView("resilience.polly.pipeline.duration", MetricStreamConfiguration.Drop)
                    .AddView("resilience.polly.strategy.attempt.duration", MetricStreamConfiguration.Drop)
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            });

        // Spans are only worth making when something exports them: with no OTLP endpoint, tracing stays off and the
        // per-request cost of building activities nobody reads is not paid (W3C trace context still flows through).
        if (otlp)
        {
            telemetry.WithTracing(static tracing => tracing.AddSource(GatewaySource)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddOtlpExporter());
        }
    }
}
