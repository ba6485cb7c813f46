using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace LlmGateway.Internal;

/// <summary>The gateway as an embedding generator; one SDK embedding client per model id, made on first use.</summary>
internal sealed class GatewayEmbeddingGenerator(ILlmGateway gateway, string? defaultModelId, ILogger logger, GatewayCaller? caller = null) : IEmbeddingGenerator<string, Embedding<float>>
{
    private readonly OpenAIClient _client = InProcessOpenAIClient.Create(gateway, logger, caller);
    private readonly ConcurrentDictionary<string, IEmbeddingGenerator<string, Embedding<float>>> _byModel = new(StringComparer.Ordinal);

    public Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        var model = options?.ModelId ?? defaultModelId
            ?? throw new InvalidOperationException("No model: set EmbeddingGenerationOptions.ModelId, or pass a default model to GetEmbeddingGenerator.");
        var generator = _byModel.GetOrAdd(model, static (m, client) => client.GetEmbeddingClient(m).AsIEmbeddingGenerator(), _client);
        return generator.GenerateAsync(values, options, cancellationToken);
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(gateway) ? gateway
            : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    public void Dispose()
    {
        foreach (var generator in _byModel.Values)
        {
            generator.Dispose();
        }
    }
}
