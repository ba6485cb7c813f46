namespace LlmGateway;

/// <summary>
/// One configured provider instance (<c>LlmGateway:Providers:&lt;name&gt;</c>): it takes OpenAI-format requests and
/// answers in OpenAI's wire format, translating where its upstream speaks another one.
/// </summary>
/// <remarks>
/// Instances are created by an <see cref="ILlmProviderFactory"/> once per configuration snapshot and are used
/// concurrently by every request: implementations must be thread-safe. Expected failures (an upstream error status,
/// a timeout, an unreachable host) are returned as <see cref="GatewayResponse.FromError"/>, not thrown; only a
/// cancellation by the caller throws.
/// </remarks>
public interface ILlmProvider
{
    /// <summary>Gets the instance name, as configured.</summary>
    string Name { get; }

    /// <summary>Gets the provider type, one of <see cref="ProviderTypes"/> or a third-party type.</summary>
    string Type { get; }

    /// <summary>Gets what the instance can do.</summary>
    ProviderCapabilities Capabilities { get; }

    /// <summary>Sends a request upstream.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the call, and a stream it returned.</param>
    /// <returns>The response, in OpenAI's wire format.</returns>
    ValueTask<GatewayResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken = default);

    /// <summary>Lists the upstream's models.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The models, with the upstream's ids, or the error.</returns>
    ValueTask<ModelListResult> ListModelsAsync(CancellationToken cancellationToken = default);
}
