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
}
