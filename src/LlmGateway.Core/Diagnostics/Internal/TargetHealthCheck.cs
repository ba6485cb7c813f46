using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LlmGateway.Internal;

/// <summary>Each target's circuit (every alias target, and any other target used so far): healthy when all are
/// closed, degraded (still serving) when any is open.</summary>
internal sealed class TargetHealthCheck(TargetHealth health, RouteTableProvider routes) : IHealthCheck
{
    public const string Name = "llmgateway-targets";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var states = new Dictionary<string, object>(health.Snapshot(), StringComparer.OrdinalIgnoreCase);
        foreach (var target in routes.Current.AliasTargets)
        {
            states.TryAdd(target.Name, "closed");
        }

        var open = states.Values.Count(static s => s is string text && (text.StartsWith("open", StringComparison.Ordinal) || text == "half-open"));
        return Task.FromResult(open == 0
            ? HealthCheckResult.Healthy("Every target's circuit is closed.", states)
            : HealthCheckResult.Degraded($"{open} target(s) taken out of rotation.", data: states));
    }
}
