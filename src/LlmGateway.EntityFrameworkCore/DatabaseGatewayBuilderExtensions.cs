using LlmGateway.EntityFrameworkCore.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace LlmGateway;

/// <summary>Keeps the gateway's records in a database.</summary>
public static class DatabaseGatewayBuilderExtensions
{
    /// <summary>
    /// Keeps gateway keys, resource ownership and usage (so budgets) in the database named by <c>LlmGateway:Database</c>
    /// (<see cref="LlmGatewayOptions.Database"/>): by default a SQLite file, <c>llmgateway.db</c> in
    /// <c>LlmGateway:DataDirectory</c>, made at the first start with no set-up. Keys created through the admin API and
    /// usage totals then survive a restart. With <see cref="DatabaseProvider.None"/> the call changes nothing; so it is
    /// when the provider is not set and <c>LlmGateway:Redis</c> is (instances sharing a Redis keep sharing through it).
    /// </summary>
    /// <param name="builder">The gateway builder.</param>
    /// <returns>The builder.</returns>
    /// <remarks>
    /// <para>The schema is migrated when the host starts; a database that refuses the migration stops the start with the
    /// reason. Usage is written behind: queued in memory and written in batches
    /// (<see cref="DatabaseOptions.UsageFlushBatchSize"/> records, or every <see cref="DatabaseOptions.UsageFlushInterval"/>),
    /// and everything queued at a graceful stop; a crash loses at most the last interval's usage. Totals, what budgets are
    /// checked against, include what is queued.</para>
    /// <para>The stores are registered as decorators of <see cref="IKeyStore"/>, <see cref="IUsageStore"/> and
    /// <see cref="IResourceOwnerStore"/>, taking the place of what was registered before (the ownership store keeps it as
    /// its near level: what this instance wrote or read, answered without a query). With <c>AddRedis()</c>, call this
    /// after it: when both are configured (the provider set explicitly), the database is the store of record for keys,
    /// ownership and usage, and Redis keeps rate limits, the response cache and the provider keys' key ring. To keep one store of your own instead, register it after
    /// this call.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static ILlmGatewayBuilder AddDatabase(this ILlmGatewayBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var services = builder.Services;
        if (services.Any(static d => d.ServiceType == typeof(GatewayDatabase)))
        {
            return builder;
        }

        services.AddOptions<LlmGatewayOptions>()
            .Validate(static o => o.Database.UsageFlushBatchSize > 0, $"{GatewayDatabase.Section}:UsageFlushBatchSize must be positive.")
            .Validate(static o => o.Database.UsageFlushInterval > TimeSpan.Zero, $"{GatewayDatabase.Section}:UsageFlushInterval must be positive.")
            .Validate(static o => o.Database.UsageQueueCapacity > 0, $"{GatewayDatabase.Section}:UsageQueueCapacity must be positive.")
            .Validate(static o => o.Database.Provider != DatabaseProvider.PostgreSql || !string.IsNullOrWhiteSpace(o.Database.ConnectionString), $"{GatewayDatabase.Section}:ConnectionString is required when {GatewayDatabase.Section}:Provider is PostgreSql.");
        services.AddSingleton(static sp => new GatewayDatabase(
            sp.GetRequiredService<IOptions<LlmGatewayOptions>>(),
            sp.GetRequiredService<ILogger<GatewayDatabase>>(),
            sp.GetService<IHostEnvironment>()));
        services.TryAddSingleton<DatabaseUsageStore>();
        Decorate<IKeyStore>(services, static (_, sp) => ActivatorUtilities.CreateInstance<DatabaseKeyStore>(sp));
        Decorate<IUsageStore>(services, static (_, sp) => sp.GetRequiredService<DatabaseUsageStore>());
        Decorate<IResourceOwnerStore>(services, static (inner, sp) => ActivatorUtilities.CreateInstance<DatabaseResourceOwnerStore>(sp, inner));
        services.AddHostedService<DatabaseHostedService>();
        return builder;
    }

    /// <summary>Like <see cref="AddDatabase(ILlmGatewayBuilder)"/>, with the database's options set in code after
    /// configuration is read (so what is set here wins).</summary>
    /// <param name="builder">The gateway builder.</param>
    /// <param name="configure">Sets the options.</param>
    /// <returns>The builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="configure"/> is null.</exception>
    public static ILlmGatewayBuilder AddDatabase(this ILlmGatewayBuilder builder, Action<DatabaseOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configure);
        builder.Services.PostConfigure<LlmGatewayOptions>(options => configure(options.Database));
        return builder.AddDatabase();
    }

    /// <summary>Decorates the registered service: the database's store when a database is configured, else what was
    /// registered.</summary>
    private static void Decorate<TService>(IServiceCollection services, Func<TService, IServiceProvider, TService> create)
        where TService : class
    {
        services.Decorate<TService>((inner, sp) => sp.GetRequiredService<GatewayDatabase>().IsConfigured ? create(inner, sp) : inner);
    }
}
