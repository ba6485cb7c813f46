using LlmGateway.Samples.Extending.Anthropic;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace LlmGateway.Samples.Extending;

/// <summary>Adds the <c>Anthropic</c> provider type to the gateway, as a provider package would.</summary>
internal static class AnthropicGatewayBuilderExtensions
{
    /// <summary>The name of the <see cref="HttpClient"/> the Anthropic provider uses.</summary>
    public const string HttpClientName = "LlmGateway.Samples.Anthropic";

    /// <summary>Registers the <c>Anthropic</c> provider type: Anthropic's Messages API behind the OpenAI chat
    /// completions surface, streaming or not, with tools.</summary>
    public static ILlmGatewayBuilder AddAnthropic(this ILlmGatewayBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<ILlmProviderFactory, AnthropicProviderFactory>());

        // Generation takes longer than HttpClient's 100 s default: the provider sets its own deadline per call
        // (LlmGateway:RequestTimeout, or the request's remaining budget), and an idle timeout while it streams.
        builder.Services.AddHttpClient(HttpClientName, static client => client.Timeout = Timeout.InfiniteTimeSpan);
        return builder;
    }
}
