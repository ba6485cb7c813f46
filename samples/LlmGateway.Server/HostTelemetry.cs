using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace LlmGateway.Server;

/// <summary>
/// The host's OpenTelemetry: the libraries only emit (meter and activity source <c>LlmGateway</c>), so which exporters
/// run is the app's choice. This host scrapes to Prometheus at <c>/metrics</c> and, when
/// <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set, also sends metrics and traces over OTLP (the exporter reads the other
/// standard <c>OTEL_EXPORTER_OTLP_*</c> variables itself).
/// </summary>
internal static class HostTelemetry
{
    private const string GatewaySource = "LlmGateway";

    public static void AddGatewayTelemetry(this WebApplicationBuilder builder)
    {
        var otlp = !string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);
        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } name ? name : "llmgateway"))
            .WithMetrics(metrics =>
            {
                metrics.AddMeter(GatewaySource)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation()
                    .AddPrometheusExporter();
                if (otlp)
                {
                    metrics.AddOtlpExporter();
                }
            })
            .WithTracing(tracing =>
            {
                tracing.AddSource(GatewaySource)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation();
                if (otlp)
                {
                    tracing.AddOtlpExporter();
                }
            });
    }
}
