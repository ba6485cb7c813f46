namespace LlmGateway.Core.Tests.Fakes;

/// <summary>A provider instance that never calls an upstream; routing tests only need its identity.</summary>
internal sealed class FakeProvider(string name, string type = ProviderTypes.OpenAI) : ILlmProvider
{
    public string Name { get; } = name;

    public string Type { get; } = type;

    public ProviderCapabilities Capabilities { get; init; } =
        ProviderCapabilities.ChatCompletions | ProviderCapabilities.StreamingChatCompletions | ProviderCapabilities.Embeddings | ProviderCapabilities.ModelList;

    /// <summary>Gets the settings the instance was created with, when a factory created it.</summary>
    public ProviderOptions? Options { get; init; }

    public ValueTask<GatewayResponse> SendAsync(ProviderRequest request, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(GatewayResponse.FromBody("{}"u8.ToArray()));

    public ValueTask<ModelListResult> ListModelsAsync(CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(ModelListResult.Success([]));

    public override string ToString() => $"{Name} ({Type})";
}
