using LlmGateway.Internal;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmGateway;

/// <summary>Registers LlmGateway in an <see cref="IServiceCollection"/>.</summary>
public static class LlmGatewayServiceCollectionExtensions
{
    /// <summary>
    /// Adds the gateway with its options bound from <paramref name="configuration"/> (normally the
    /// <c>LlmGateway</c> section), validated at start-up (unknown keys included) and reloaded when the configuration
    /// changes.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The <c>LlmGateway</c> configuration section.</param>
    /// <returns>A builder to add providers with (<c>.AddOpenAI().AddGemini()</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> or <paramref name="configuration"/> is null.</exception>
    public static ILlmGatewayBuilder AddLlmGateway(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);

        // Values that cannot be bound are refused, each named by its path, before the binder runs: the binder would
        // drop a list entry (a configured key) whose value fails to convert, and stop at the first bad value elsewhere.
        services.AddSingleton<IConfigureOptions<LlmGatewayOptions>>(sp => new ConfigurationValueCheck(configuration, sp.GetServices<ILlmProviderFactory>()));
        services.AddOptions<LlmGatewayOptions>().Bind(configuration);

        // Each provider instance's section is bound again to its type's own options class (ILlmProviderFactory.OptionsType).
        services.AddSingleton<IConfigureOptions<LlmGatewayOptions>>(sp => new ProviderOptionsBinding(configuration, sp.GetServices<ILlmProviderFactory>()));

        // Unknown keys are reported by a validator, with the other errors and each with its path, rather than by the
        // binder's ErrorOnUnknownConfiguration, which stops at the first and does not name it.
        services.AddSingleton<IValidateOptions<LlmGatewayOptions>>(sp => new UnknownKeysValidator(configuration, sp.GetServices<ILlmProviderFactory>()));
        return AddCore(services);
    }

    /// <summary>Adds the gateway with options set in code.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Sets the options; the environment fallbacks apply afterwards.</param>
    /// <returns>A builder to add providers with (<c>.AddOpenAI().AddGemini()</c>).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is null.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0027:API with optional parameter(s) should have the most parameters amongst its public overloads", Justification = "The other overload takes an IConfiguration, not a delegate: no call binds to both.")]
    public static ILlmGatewayBuilder AddLlmGateway(this IServiceCollection services, Action<LlmGatewayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<LlmGatewayOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return AddCore(services);
    }

    private static LlmGatewayBuilder AddCore(IServiceCollection services)
    {
        services.AddOptions<LlmGatewayOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<LlmGatewayOptions>, EnvironmentFallbackPostConfigure>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LlmGatewayOptions>, LlmGatewayOptionsValidator>());
        services.TryAddSingleton<IEnvironmentVariables, ProcessEnvironmentVariables>();
        services.TryAddSingleton(TimeProvider.System);
        services.AddLogging();
        services.AddHttpClient();
        services.TryAddSingleton<RouteTableProvider>();
        services.TryAddSingleton<ModelListService>();
        services.TryAddSingleton<ResourceOwners>();
        services.TryAddSingleton<IResourceOwnership, ResourceOwnership>();
        services.TryAddSingleton<ILlmProviderResolver, LlmProviderResolver>();
        services.TryAddSingleton<IRandomSource, SharedRandomSource>();
        services.TryAddSingleton<InFlightCounter>();
        services.TryAddSingleton<TargetHealth>();
        services.TryAddSingleton<LatencyTracker>();
        services.TryAddSingleton<StreamHedging>();
        services.TryAddSingleton<TargetStates>();
        RoutingStrategyRegistration.AddFrom(services, typeof(FallbackStrategy).Assembly, includeInternal: true);
        services.TryAddSingleton<ILlmGateway, GatewayPipeline>();

        // The host's lifetime is there only under a host; the in-process client has none and never drains.
        services.TryAddSingleton(static sp => new ShutdownDrain(
            sp.GetService<IHostApplicationLifetime>(),
            sp.GetRequiredService<RouteTableProvider>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<ShutdownDrain>>()));

        // Checks the HTTP layer adds when it is mapped (mode None listening beyond loopback), run once the server is
        // bound; one that fails makes the host's start throw.
        services.TryAddSingleton<StartedChecks>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, StartedChecks>(static sp => sp.GetRequiredService<StartedChecks>()));
        services.TryAddSingleton<ILlmGatewayRuntime, GatewayRuntime>();

        // Keys, limits, usage, cached responses and who owns which stored resource: in this process's memory unless
        // other stores were registered (LlmGateway.Redis's AddRedis, or the app's own).
        services.TryAddSingleton<IKeyStore, MemoryKeyStore>();
        services.TryAddSingleton<IRateLimitStore, MemoryRateLimitStore>();
        services.TryAddSingleton<IUsageStore, MemoryUsageStore>();
        services.TryAddSingleton<IResourceOwnerStore, MemoryResourceOwnerStore>();
        services.TryAddSingleton<IResponseCacheStore, MemoryResponseCacheStore>();
        services.TryAddSingleton<IProviderKeyProtector, MemoryProviderKeyProtector>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<LlmGatewayOptions>>(new RedisRegistrationCheck(services)));
        services.TryAddSingleton<KeyRegistry>();
        services.TryAddSingleton<ProviderKeyProtector>();
        services.TryAddSingleton<TokenEstimator>();
        services.TryAddSingleton(static sp => new GatewayAuthenticator(sp.GetRequiredService<RouteTableProvider>(), sp.GetRequiredService<KeyRegistry>(), sp.GetRequiredService<TimeProvider>()));
        services.TryAddSingleton(static sp => new GatewayKeyAdministration(
            sp.GetRequiredService<KeyRegistry>(),
            sp.GetRequiredService<IKeyStore>(),
            sp.GetRequiredService<IProviderKeyProtector>(),
            sp.GetRequiredService<ILlmGatewayRuntime>(),
            sp.GetRequiredService<TimeProvider>(),
            sp.GetRequiredService<ILogger<GatewayKeyAdministration>>()));
        services.TryAddSingleton<CallerPolicy>();
        services.TryAddSingleton<ResponseCache>();
        services.TryAddSingleton<ILlmGatewayCache>(static sp => sp.GetRequiredService<ResponseCache>());
        services.AddMetrics();
        services.TryAddSingleton<UsageMetrics>();
        services.TryAddSingleton<GatewayMetrics>();

        var healthChecks = services.AddHealthChecks();
        if (!services.Any(static d => d.ServiceType == typeof(GatewayReadinessCheck)))
        {
            services.AddSingleton<GatewayReadinessCheck>();
            healthChecks.AddCheck<GatewayReadinessCheck>("llmgateway", HealthStatus.Unhealthy, [GatewayReadinessCheck.Tag]);

            // Circuits only degrade /health and are not part of readiness (the readiness check above fails when no
            // instance can be called as configured).
            healthChecks.AddCheck<TargetHealthCheck>(TargetHealthCheck.Name, HealthStatus.Degraded);
        }

        return new LlmGatewayBuilder(services);
    }
}
