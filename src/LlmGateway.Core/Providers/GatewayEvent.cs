namespace LlmGateway;

/// <summary>One server-sent event of a streamed answer: its JSON data and, where the API names its events (the
/// Responses API's <c>event: response.output_text.delta</c>), its event type.</summary>
/// <param name="Data">The event's data: one JSON object.</param>
/// <param name="EventType">The event type, written as an <c>event:</c> line; null for none (chat completions).</param>
public readonly record struct GatewayEvent(ReadOnlyMemory<byte> Data, string? EventType = null);
