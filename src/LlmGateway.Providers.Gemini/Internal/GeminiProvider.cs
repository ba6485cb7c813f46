namespace LlmGateway.Gemini.Internal;

/// <summary>A Gemini instance. Translation is not implemented yet: it declares no capabilities, so the pipeline
/// answers requests for its models with 400 <c>unsupported_operation</c>.</summary>
internal sealed class GeminiProvider(string name) : ILlmProvider
{
    public string Name { get; } = name;

    public string Type => ProviderTypes.Gemini;

    public ProviderCapabilities Capabilities => ProviderCapabilities.None;

    public ValueTask<GatewayResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(GatewayResponse.FromError(new GatewayError(
            GatewayErrorKind.UnsupportedOperation,
            $"The provider '{Name}' (Gemini) does not translate requests in this version.",
            "model")));

    public ValueTask<ModelListResult> ListModelsAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(ModelListResult.Success([]));
}
