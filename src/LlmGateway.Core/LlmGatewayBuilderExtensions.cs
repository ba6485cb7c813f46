using System.Reflection;
using LlmGateway.Internal;
using Microsoft.Extensions.DependencyInjection;

namespace LlmGateway;

/// <summary>Registrations chained on <see cref="ILlmGatewayBuilder"/>.</summary>
public static class LlmGatewayBuilderExtensions
{
    /// <summary>
    /// Registers every public, non-abstract class of <paramref name="assembly"/> that implements
    /// <see cref="IRoutingStrategy"/>, as a singleton resolved from the container (its constructor may take any
    /// registered service). Configuration then names each by its <see cref="IRoutingStrategy.Name"/> in
    /// <c>LlmGateway:Models:&lt;alias&gt;:Strategy</c>. A class already registered as a strategy is not added twice.
    /// </summary>
    /// <param name="builder">The gateway builder.</param>
    /// <param name="assembly">The assembly whose strategies to add, e.g. <c>typeof(MyStrategy).Assembly</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="assembly"/> is null.</exception>
    public static ILlmGatewayBuilder AddRoutingStrategiesFrom(this ILlmGatewayBuilder builder, Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(assembly);
        RoutingStrategyRegistration.AddFrom(builder.Services, assembly, includeInternal: false);
        return builder;
    }

    /// <summary>
    /// Registers every public, non-abstract class of <paramref name="assembly"/> that implements
    /// <see cref="ILlmProviderFactory"/>, as a singleton resolved from the container (its constructor may take any
    /// registered service, such as <see cref="IHttpMessageHandlerFactory"/>). Configuration then names each by its
    /// <see cref="ILlmProviderFactory.Type"/> in <c>LlmGateway:Providers:&lt;name&gt;:Type</c>. A class already
    /// registered as a factory is not added twice.
    /// </summary>
    /// <param name="builder">The gateway builder.</param>
    /// <param name="assembly">The assembly whose provider factories to add, e.g. <c>typeof(MyProviderFactory).Assembly</c>.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <remarks>A factory's provider usually sends through an <see cref="HttpClient"/> of its own: register it with
    /// <see cref="AddUpstreamHttpClient"/>.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="assembly"/> is null.</exception>
    public static ILlmGatewayBuilder AddProvidersFrom(this ILlmGatewayBuilder builder, Assembly assembly)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(assembly);
        ProviderFactoryRegistration.AddFrom(builder.Services, assembly);
        return builder;
    }

    /// <summary>
    /// Adds a stage to the gateway's pipeline, the way <c>ChatClientBuilder.Use</c> and ASP.NET Core middleware do. Every
    /// request (over HTTP and in process, through <see cref="ILlmGateway"/>, its <c>IChatClient</c> and embedding
    /// generator) passes the stages after admission (authentication, the caller's models, limits and budgets) and before
    /// the response cache, routing and failover, and accounting: a refused caller never reaches a stage, and a body a
    /// stage changes is the one cached, sent and counted. Stages run in the order they are added.
    /// </summary>
    /// <param name="builder">The gateway builder.</param>
    /// <param name="stage">Makes the stage from the rest of the pipeline; called once.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="stage"/> is null.</exception>
    public static ILlmGatewayBuilder Use(this ILlmGatewayBuilder builder, Func<GatewayRequestDelegate, GatewayRequestDelegate> stage)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(stage);
        builder.Services.AddSingleton(new GatewayStage(_ => stage));
        return builder;
    }

    /// <summary>
    /// Registers the named <see cref="HttpClient"/> a provider type sends its upstream calls with, tuned for LLM calls
    /// as the built-in providers' are: retries of connection failures, 408, 429 and 5xx on the same upstream (only
    /// before any byte reached the client, honouring <c>Retry-After</c>), a circuit breaker per upstream, no
    /// resilience timeouts (the gateway's <see cref="LlmGatewayOptions.RequestTimeout"/> and
    /// <see cref="LlmGatewayOptions.StreamIdleTimeout"/> bound each call) and no automatic decompression. Send through
    /// it with <see cref="UpstreamRequests.CreateInvoker"/>, marking each message with <see cref="UpstreamRequests.Prepare"/>.
    /// </summary>
    /// <param name="builder">The gateway builder.</param>
    /// <param name="name">The client's name, unique to the provider type (e.g. <c>MyCompany.MyProvider</c>).</param>
    /// <returns>The client's builder, to configure it further (an added handler runs inside the resilience handler).</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    /// <exception cref="ArgumentException"><paramref name="name"/> is null or blank.</exception>
    public static IHttpClientBuilder AddUpstreamHttpClient(this ILlmGatewayBuilder builder, string name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        UpstreamHttpClient.Add(builder.Services, name);
        return builder.Services.AddHttpClient(name);
    }

    /// <summary>
    /// Adds a stage to the gateway's pipeline from a delegate that handles a request and calls the rest of the pipeline
    /// (see <see cref="Use(ILlmGatewayBuilder, Func{GatewayRequestDelegate, GatewayRequestDelegate})"/> for where it runs).
    /// </summary>
    /// <param name="builder">The gateway builder.</param>
    /// <param name="stage">Handles a request, given its context and the rest of the pipeline.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> or <paramref name="stage"/> is null.</exception>
    public static ILlmGatewayBuilder Use(this ILlmGatewayBuilder builder, Func<GatewayContext, GatewayRequestDelegate, ValueTask<GatewayResponse>> stage)
    {
        ArgumentNullException.ThrowIfNull(stage);
        return builder.Use(next => context => stage(context, next));
    }

    /// <summary>
    /// Adds a stage class to the gateway's pipeline (see
    /// <see cref="Use(ILlmGatewayBuilder, Func{GatewayRequestDelegate, GatewayRequestDelegate})"/> for where it runs): the
    /// registered <typeparamref name="TMiddleware"/> service if there is one, else one instance created from the
    /// container (its constructor may take any registered singleton service).
    /// </summary>
    /// <typeparam name="TMiddleware">The stage.</typeparam>
    /// <param name="builder">The gateway builder.</param>
    /// <returns>The builder, for chaining.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="builder"/> is null.</exception>
    public static ILlmGatewayBuilder Use<TMiddleware>(this ILlmGatewayBuilder builder)
        where TMiddleware : class, ILlmGatewayMiddleware
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddSingleton(GatewayStage.Of<TMiddleware>());
        return builder;
    }
}
