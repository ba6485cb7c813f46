using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace LlmGateway.Redis.Internal;

/// <summary>
/// Reports the shared store: Healthy when Redis is not configured or answers a PING; Degraded when it is configured
/// but away, since requests are still served with keys, limits and usage kept per instance until it is back.
/// </summary>
internal sealed class RedisHealthCheck(RedisConnection redis) : IHealthCheck
{
    public const string Name = "llmgateway-redis";

    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        if (!redis.IsConfigured)
        {
            return HealthCheckResult.Healthy("Redis is not configured: keys, limits and usage are kept in this process.");
        }

        var data = new Dictionary<string, object> { ["endpoint"] = redis.Endpoint ?? string.Empty };
        try
        {
            var database = await redis.GetDatabaseAsync();
            var latency = await database.PingAsync();
            redis.ReportSuccess();
            data["latency_ms"] = Math.Round(latency.TotalMilliseconds, 2);
            return HealthCheckResult.Healthy("Redis answers: keys, limits and usage are shared by every instance.", data);
        }
        catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
        {
            redis.ReportFailure(ex);
            return HealthCheckResult.Degraded("Redis is unavailable: requests are served with keys, limits and usage kept per instance until it is back.", data: data);
        }
    }
}
