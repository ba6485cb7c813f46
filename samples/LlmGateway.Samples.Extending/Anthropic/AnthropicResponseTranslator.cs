using System.Buffers;
using System.Text.Json;

namespace LlmGateway.Samples.Extending.Anthropic;

/// <summary>
/// An Anthropic <c>message</c> → an OpenAI <c>chat.completion</c>: its <c>text</c> blocks joined as the content, its
/// <c>tool_use</c> blocks as <c>tool_calls</c> (the input object serialized as the arguments string), the stop reason as
/// the finish reason, and the usage (cache reads and writes count as prompt tokens, the reads also as cached tokens).
/// </summary>
internal static class AnthropicResponseTranslator
{
    /// <summary>Anthropic's <c>stop_reason</c> → OpenAI's <c>finish_reason</c>.</summary>
    public static string FinishReason(string? stopReason) => stopReason switch
    {
        "max_tokens" or "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop", // end_turn, stop_sequence, pause_turn
    };

    /// <summary>Translates a message; null when it is not one (no <c>content</c> array).</summary>
    public static byte[]? Translate(JsonElement message, string requestedModel, long created)
    {
        if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        var text = new System.Text.StringBuilder();
        var hasText = false;
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, String(message, "id") ?? "msg_unknown");
            writer.WriteString("object"u8, "chat.completion"u8);
            writer.WriteNumber("created"u8, created);
            writer.WriteString("model"u8, String(message, "model") ?? requestedModel);
            writer.WriteStartArray("choices"u8);
            writer.WriteStartObject();
            writer.WriteNumber("index"u8, 0);
            writer.WriteStartObject("message"u8);
            writer.WriteString("role"u8, "assistant"u8);

            var toolCalls = 0;
            foreach (var block in content.EnumerateArray())
            {
                if (String(block, "type") == "text")
                {
                    text.Append(String(block, "text"));
                    hasText = true;
                }
            }

            if (hasText)
            {
                writer.WriteString("content"u8, text.ToString());
            }
            else
            {
                writer.WriteNull("content"u8);
            }

            foreach (var block in content.EnumerateArray())
            {
                if (String(block, "type") != "tool_use")
                {
                    continue;
                }

                if (toolCalls++ == 0)
                {
                    writer.WriteStartArray("tool_calls"u8);
                }

                writer.WriteStartObject();
                writer.WriteString("id"u8, String(block, "id"));
                writer.WriteString("type"u8, "function"u8);
                writer.WriteStartObject("function"u8);
                writer.WriteString("name"u8, String(block, "name"));
                writer.WriteString("arguments"u8, block.TryGetProperty("input", out var input) ? input.GetRawText() : "{}");
                writer.WriteEndObject();
                writer.WriteEndObject();
            }

            if (toolCalls > 0)
            {
                writer.WriteEndArray();
            }

            writer.WriteNull("refusal"u8);
            writer.WriteEndObject();
            writer.WriteNull("logprobs"u8);
            writer.WriteString("finish_reason"u8, FinishReason(String(message, "stop_reason")));
            writer.WriteEndObject();
            writer.WriteEndArray();
            if (message.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                WriteUsage(writer, Usage.From(usage));
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Writes OpenAI's <c>usage</c> object.</summary>
    public static void WriteUsage(Utf8JsonWriter writer, Usage usage)
    {
        var prompt = usage.Input + usage.CacheCreation + usage.CacheRead;
        writer.WriteStartObject("usage"u8);
        writer.WriteNumber("prompt_tokens"u8, prompt);
        writer.WriteNumber("completion_tokens"u8, usage.Output);
        writer.WriteNumber("total_tokens"u8, prompt + usage.Output);
        writer.WriteStartObject("prompt_tokens_details"u8);
        writer.WriteNumber("cached_tokens"u8, usage.CacheRead);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    internal static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    internal static long Number(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number ? value.GetInt64() : 0;
}

/// <summary>Anthropic's token counts: <c>input_tokens</c>, <c>output_tokens</c>, <c>cache_creation_input_tokens</c>
/// and <c>cache_read_input_tokens</c>.</summary>
internal readonly record struct Usage(long Input, long Output, long CacheCreation, long CacheRead)
{
    public static Usage From(JsonElement usage) => new(
        AnthropicResponseTranslator.Number(usage, "input_tokens"),
        AnthropicResponseTranslator.Number(usage, "output_tokens"),
        AnthropicResponseTranslator.Number(usage, "cache_creation_input_tokens"),
        AnthropicResponseTranslator.Number(usage, "cache_read_input_tokens"));
}
