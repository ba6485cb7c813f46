using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LlmGateway.Internal;

/// <summary>
/// Ready when at least one provider instance is usable. An instance is unusable when it cannot be called as configured
/// (no API key where its upstream needs one, and callers cannot bring their own: auth mode <c>Gateway</c> or
/// <c>None</c> with no admin API to store per-key provider keys), or when every target of it the gateway knows (its
/// alias targets and any target that has failed) has an open circuit. An instance whose targets are all unknown is
/// usable. An open circuit turns half-open once its break is over, so readiness comes back then, and the next request
/// probes the target.
/// </summary>
/// <remarks>The report names instances and settings only, never a key.</remarks>
internal sealed class GatewayReadinessCheck(RouteTableProvider routes, TargetHealth health, KeyRegistry keys) : IHealthCheck
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
        var targetsByInstance = KnownTargetsByInstance(table);
        var data = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase);
        var usable = 0;
        foreach (var provider in table.Providers)
        {
            string state;
            if (provider is IProviderReadiness { NotConfiguredReason: { } reason } && !callersBringKeys)
            {
                state = "not configured: " + reason;
            }
            else if (targetsByInstance.TryGetValue(provider.Name, out var targets) && targets.All(health.IsOpen))
            {
                state = "every circuit open";
            }
            else
            {
                state = "usable";
                usable++;
            }

            data[provider.Name] = state;
        }

        return Task.FromResult(usable > 0
            ? HealthCheckResult.Healthy($"{usable} of {table.Providers.Count} provider instance(s) usable.", data)
            : HealthCheckResult.Unhealthy("No provider instance is usable: each lacks its API key or has every circuit open.", data: data));
    }

    private Dictionary<string, List<string>> KnownTargetsByInstance(RouteTable table)
    {
        var result = new Dictionary<string, List<string>>(StringComparer.OrdinalIgnoreCase);
        void Add(string target)
        {
            var slash = target.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0)
            {
                return;
            }

            var instance = target[..slash];
            if (!result.TryGetValue(instance, out var list))
            {
                result[instance] = list = [];
            }

            if (!list.Contains(target, StringComparer.OrdinalIgnoreCase))
            {
                list.Add(target);
            }
        }

        foreach (var target in table.AliasTargets)
        {
            Add(target.Name);
        }

        foreach (var target in health.KnownTargets)
        {
            Add(target);
        }

        return result;
    }
}
