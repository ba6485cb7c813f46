using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LlmGateway.Internal;

/// <summary>
/// Ready when this process can serve: its configuration loaded and valid (an invalid one stops start-up, and an invalid
/// reload keeps the last good one), and at least one provider instance usable. An instance is unusable when it cannot
/// be called as configured: no API key where its upstream needs one, and callers cannot bring their own (auth mode
/// <c>Gateway</c> or <c>None</c> with no admin API to store per-key provider keys).
/// </summary>
/// <remarks>
/// The state of upstreams is deliberately not part of readiness: a circuit opened by failing upstreams (or held for
/// one caller whose own requests fail) says nothing about this process, and every replica sharing the upstreams would
/// see the same, so an orchestrator would take them all out of rotation at once. Circuits are reported by
/// <see cref="TargetHealthCheck"/> on <c>/health</c> instead. The report names instances and settings only, never a
/// key.
/// </remarks>
internal sealed class GatewayReadinessCheck(RouteTableProvider routes, KeyRegistry keys) : IHealthCheck
{
    public const string Tag = "ready";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var table = routes.Current;
        if (table.Providers.Count == 0)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy("No provider instance is configured (LlmGateway:Providers)."));
        }

        var auth = table.Options.Auth;
        var callersBringKeys = auth.Mode is GatewayAuthMode.Client or GatewayAuthMode.Hybrid || keys.HasAdminKey;
        var data = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        var usable = 0;
        foreach (var provider in table.Providers)
        {
            if (provider is IProviderReadiness { NotConfiguredReason: { } reason } && !callersBringKeys)
            {
                data[provider.Name] = "not configured: " + reason;
            }
            else
            {
                data[provider.Name] = "usable";
                usable++;
            }
        }

        return Task.FromResult(usable > 0
            ? HealthCheckResult.Healthy($"{usable} of {table.Providers.Count} provider instance(s) usable.", data)
            : HealthCheckResult.Unhealthy("No provider instance is usable: each lacks its API key.", data: data));
    }
}
