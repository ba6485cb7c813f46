using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LlmGateway.Internal;

/// <summary>Ready when the configuration has produced a route table with at least one provider instance.</summary>
internal sealed class GatewayReadinessCheck(RouteTableProvider routes) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var count = routes.Current.Providers.Count;
        return Task.FromResult(count > 0
            ? HealthCheckResult.Healthy($"{count} provider instance(s) configured.")
            : HealthCheckResult.Unhealthy("No provider instance is configured."));
    }
}
