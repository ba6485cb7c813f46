using System.Text.Json;

namespace LlmGateway.OpenAI.Internal;

/// <summary>Writes a Responses <c>function_call</c> item as a chat tool call: <c>{id: call_id, type: "function",
/// function: {name, arguments}}</c>, with its <c>extra_content</c> (a Gemini thought signature) when it has one.</summary>
internal static class ChatToolCallWriter
{
    public static void Write(Utf8JsonWriter writer, JsonElement functionCall)
    {
        writer.WriteStartObject();
        writer.WriteString("id", functionCall.GetProperty("call_id").GetString());
        writer.WriteString("type", "function");
        writer.WriteStartObject("function");
        writer.WriteString("name", functionCall.GetProperty("name").GetString());
        writer.WriteString("arguments", functionCall.TryGetProperty("arguments", out var arguments) ? arguments.GetString() : "{}");
        writer.WriteEndObject();
        if (functionCall.TryGetProperty("extra_content", out var extra))
        {
            writer.WritePropertyName("extra_content");
            extra.WriteTo(writer);
        }

        writer.WriteEndObject();
    }
}
