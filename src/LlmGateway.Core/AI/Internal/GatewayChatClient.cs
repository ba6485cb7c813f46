using System.Collections.Concurrent;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using OpenAI;

namespace LlmGateway.Internal;

/// <summary>The gateway as an <see cref="IChatClient"/>; one SDK chat client per model id, made on first use.</summary>
internal sealed class GatewayChatClient(ILlmGateway gateway, string? defaultModelId, ILogger logger, GatewayCaller? caller = null) : IChatClient
{
    private readonly OpenAIClient _client = InProcessOpenAIClient.Create(gateway, logger, caller);
    private readonly ConcurrentDictionary<string, IChatClient> _byModel = new(StringComparer.Ordinal);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        For(options).GetResponseAsync(messages, options, cancellationToken);

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        For(options).GetStreamingResponseAsync(messages, options, cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(gateway) ? gateway
            : serviceKey is null && serviceType.IsInstanceOfType(this) ? this
            : serviceType == typeof(ChatClientMetadata) ? new ChatClientMetadata("llmgateway", null, defaultModelId)
            : null;
    }

    public void Dispose()
    {
        foreach (var client in _byModel.Values)
        {
            client.Dispose();
        }
    }

    private IChatClient For(ChatOptions? options)
    {
        var model = options?.ModelId ?? defaultModelId
            ?? throw new InvalidOperationException("No model: set ChatOptions.ModelId, or pass a default model to GetChatClient.");
        return _byModel.GetOrAdd(model, static (m, client) => client.GetChatClient(m).AsIChatClient(), _client);
    }
}
