using LlmGateway.Samples.Extending.Anthropic;

namespace LlmGateway.Samples.Extending;

/// <summary>Adds the <c>Anthropic</c> provider type to the gateway, as a provider package would.</summary>
public static class AnthropicGatewayBuilderExtensions
{
    /// <summary>Registers the <c>Anthropic</c> provider type: Anthropic's Messages API behind the OpenAI chat
    /// completions surface, streaming or not, with tools.</summary>
    /// <param name="builder">The gateway builder.</param>
    /// <returns>The builder, for chaining.</returns>
    public static ILlmGatewayBuilder AddAnthropic(this ILlmGatewayBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // The factory (every public ILlmProviderFactory of this assembly), and the upstream client with the gateway's
        // handlers: retries on the same upstream, the circuit breaker, connection pooling.
        builder.AddProvidersFrom(typeof(AnthropicProviderFactory).Assembly);
        builder.AddUpstreamHttpClient(AnthropicProviderFactory.HttpClientName);
        return builder;
    }
}
