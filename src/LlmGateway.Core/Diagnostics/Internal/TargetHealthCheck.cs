using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LlmGateway.Internal;

/// <summary>Each target's circuit (every alias target, and any other target used so far): healthy when all are
/// closed, degraded (still serving) when any is open for everyone or holds back callers whose own requests failed. The
/// data says how many callers a target holds back, never which.</summary>
internal sealed class TargetHealthCheck(TargetHealth health, RouteTableProvider routes) : IHealthCheck
{
    public const string Name = "llmgateway-targets";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var states = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        int open = 0, holding = 0;
        foreach (var target in health.Snapshot())
        {
            states[target.Name] = target.Description;
            open += target.Open ? 1 : 0;
            holding += target.HeldCallers > 0 ? 1 : 0;
        }

        foreach (var target in routes.Current.AliasTargets)
        {
            states.TryAdd(target.Name, "closed");
        }

        if (open == 0 && holding == 0)
        {
            return Task.FromResult(HealthCheckResult.Healthy("Every target's circuit is closed.", states));
        }

        var description = open > 0 ? $"{open} target(s) taken out of rotation." : string.Empty;
        if (holding > 0)
        {
            description += (description.Length > 0 ? " " : string.Empty) + $"{holding} target(s) holding back callers whose own requests failed.";
        }

        return Task.FromResult(HealthCheckResult.Degraded(description, data: states));
    }
}
