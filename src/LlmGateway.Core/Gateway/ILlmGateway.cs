using Microsoft.Extensions.AI;

namespace LlmGateway;

/// <summary>
/// The gateway pipeline, usable in-process: it resolves the model, picks the provider instance and calls it.
/// Registered as a singleton by <c>AddLlmGateway</c>; thread-safe.
/// </summary>
public interface ILlmGateway
{
    /// <summary>Sends an OpenAI-format request through the gateway.</summary>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the call, and a stream it returned.</param>
    /// <returns>The response in OpenAI's wire format; failures are returned as <see cref="GatewayResponse.Error"/>.</returns>
    ValueTask<GatewayResponse> SendAsync(GatewayRequest request, CancellationToken cancellationToken = default);

    /// <summary>Lists the models the gateway serves, each with the id a client uses for it.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The models, in configuration order of their instances.</returns>
    ValueTask<IReadOnlyList<ModelInfo>> ListModelsAsync(CancellationToken cancellationToken = default);

    /// <summary>Finds one model by the id a client uses for it.</summary>
    /// <param name="id">The model id.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The model, or null when the gateway does not serve it.</returns>
    ValueTask<ModelInfo?> GetModelAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gets the gateway as a Microsoft.Extensions.AI <see cref="IChatClient"/>: calls go through the same pipeline
    /// as HTTP requests (routing, providers, errors), in-process, with no socket.
    /// </summary>
    /// <param name="defaultModelId">The model used when <see cref="ChatOptions.ModelId"/> is not set.</param>
    /// <param name="caller">The caller the calls are made as: its allowed models, rate limits and budgets apply, and
    /// usage is counted under its id. Null: trusted in-process calls, not limited, counted as <c>in-process</c>.</param>
    /// <returns>The chat client; dispose it when done.</returns>
    /// <remarks>A refusal (403, 429) surfaces as any gateway error does: the OpenAI SDK's <c>ClientResultException</c>
    /// with the status and OpenAI's error body.</remarks>
    IChatClient GetChatClient(string? defaultModelId = null, GatewayCaller? caller = null);

    /// <summary>Gets the gateway as a Microsoft.Extensions.AI embedding generator, in-process.</summary>
    /// <param name="defaultModelId">The model used when <see cref="EmbeddingGenerationOptions.ModelId"/> is not set.</param>
    /// <param name="caller">The caller the calls are made as, limited and billed as it; null for trusted in-process
    /// calls, counted as <c>in-process</c>.</param>
    /// <returns>The generator; dispose it when done.</returns>
    IEmbeddingGenerator<string, Embedding<float>> GetEmbeddingGenerator(string? defaultModelId = null, GatewayCaller? caller = null);
}
