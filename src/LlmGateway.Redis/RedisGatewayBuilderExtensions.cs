using LlmGateway.Redis.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace LlmGateway;

/// <summary>Shares the gateway's state through Redis.</summary>
public static class RedisGatewayBuilderExtensions
{
    /// <summary>The name of the Redis health check (tagged for readiness).</summary>
    public const string HealthCheckName = RedisHealthCheck.Name;

    /// <summary>
    /// Keeps keys, rate limits, usage and budgets, the response cache (behind each instance's memory), resource ownership
    /// and the provider keys' Data Protection key ring in the Redis named by <c>LlmGateway:Redis</c>
    /// (<see cref="LlmGatewayOptions.Redis"/>), so every gateway instance naming the same Redis shares them. When that
    /// option is not set, the in-memory stores stay in force: a host can call this whatever its configuration.
    /// </summary>
    /// <param name="builder">The gateway builder.</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// <para>The connection is made at the first use; commands fail fast while Redis is away, and each store falls back
    /// as its documentation says (keys and limits per instance, usage kept until Redis is back, the cache as a miss).
    /// A health check (<see cref="HealthCheckName"/>) reports Redis Degraded while it is away.</para>
    /// <para>The stores are registered as decorators of <see cref="IKeyStore"/>, <see cref="IUsageStore"/>,
    /// <see cref="IRateLimitStore"/>, <see cref="IResponseCacheStore"/>, <see cref="IResourceOwnerStore"/> and
    /// <see cref="IProviderKeyProtector"/>: when Redis is configured they take the place of what was registered before, and
    /// three keep it: the rate-limit store counts in it while Redis is away, and the response cache and ownership stores
    /// use it as their near level (what this instance wrote or read, answered without a round trip). To keep one store
    /// of your own instead of the Redis one, register it after this call; registered before, it becomes that near
    /// level.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static ILlmGatewayBuilder AddRedis(this ILlmGatewayBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(static d => d.ServiceType == typeof(RedisConnection)))
        {
            return builder;
        }

        services.AddSingleton<RedisConnection>();
        Decorate<IKeyStore>(services, static (inner, sp, redis) => ActivatorUtilities.CreateInstance<RedisKeyStore>(sp, redis));
        Decorate<IUsageStore>(services, static (inner, sp, redis) => ActivatorUtilities.CreateInstance<RedisUsageStore>(sp, redis));
        Decorate<IRateLimitStore>(services, static (inner, sp, redis) => new RedisRateLimitStore(redis, inner, sp.GetRequiredService<ILogger<RedisRateLimitStore>>()));
        Decorate<IResponseCacheStore>(services, static (inner, sp, redis) => ActivatorUtilities.CreateInstance<TwoLevelCacheStore>(sp, redis, inner));
        Decorate<IResourceOwnerStore>(services, static (inner, sp, redis) => ActivatorUtilities.CreateInstance<RedisResourceOwnerStore>(sp, redis, inner));
        Decorate<IProviderKeyProtector>(services, static (inner, sp, redis) => new RedisProviderKeyProtector(redis, sp.GetRequiredService<ILoggerFactory>()));
        services.AddHealthChecks().AddCheck<RedisHealthCheck>(RedisHealthCheck.Name, HealthStatus.Degraded, [ReadinessTag]);
        return builder;
    }

    /// <summary>
    /// Like <see cref="AddRedis(ILlmGatewayBuilder)"/>, with the connection string given here: it sets
    /// <see cref="LlmGatewayOptions.Redis"/>, over what configuration says.
    /// </summary>
    /// <param name="builder">The gateway builder.</param>
    /// <param name="configuration">The connection string, in StackExchange.Redis syntax (e.g. <c>localhost:6379</c>).</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configuration"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="configuration"/> is empty.</exception>
    public static ILlmGatewayBuilder AddRedis(this ILlmGatewayBuilder builder, string configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(configuration);
        builder.Services.PostConfigure<LlmGatewayOptions>(options => options.Redis = configuration);
        return builder.AddRedis();
    }

    /// <summary>The tag of the gateway's readiness checks (<c>/health/ready</c>).</summary>
    private const string ReadinessTag = "ready";

    /// <summary>Decorates the registered service: the Redis store when <c>LlmGateway:Redis</c> is set, else what was
    /// registered.</summary>
    private static void Decorate<TService>(IServiceCollection services, Func<TService, IServiceProvider, RedisConnection, TService> create)
        where TService : class
    {
        services.Decorate<TService>((inner, sp) =>
        {
            var redis = sp.GetRequiredService<RedisConnection>();
            return redis.IsConfigured ? create(inner, sp, redis) : inner;
        });
    }
}
