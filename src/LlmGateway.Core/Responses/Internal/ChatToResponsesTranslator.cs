using System.Buffers;
using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>
/// A chat completion → a Responses API <c>response</c> object: the text becomes a <c>message</c> output item, each
/// tool call a <c>function_call</c> item (its <c>extra_content</c>, such as Gemini's thought signature, kept), the
/// finish reason the status (<c>length</c> and <c>content_filter</c> → <c>incomplete</c> with the reason), and the
/// usage Responses-style.
/// </summary>
internal static class ChatToResponsesTranslator
{
    public static byte[] Translate(JsonElement completion)
    {
        var id = completion.TryGetProperty("id", out var i) ? i.GetString() ?? string.Empty : string.Empty;
        var suffix = id.StartsWith("chatcmpl-", StringComparison.Ordinal) ? id["chatcmpl-".Length..] : id;
        var choice = completion.TryGetProperty("choices", out var choices) && choices.GetArrayLength() > 0 ? choices[0] : default;
        var finish = choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("finish_reason", out var f) ? f.GetString() : "stop";
        var incomplete = finish switch
        {
            "length" => "max_output_tokens",
            "content_filter" => "content_filter",
            _ => null,
        };

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id", "resp_" + suffix);
            writer.WriteString("object", "response");
            writer.WriteNumber("created_at", completion.TryGetProperty("created", out var created) && created.TryGetInt64(out var c) ? c : 0);
            writer.WriteString("status", incomplete is null ? "completed" : "incomplete");
            writer.WriteNull("error");
            if (incomplete is null)
            {
                writer.WriteNull("incomplete_details");
            }
            else
            {
                writer.WriteStartObject("incomplete_details");
                writer.WriteString("reason", incomplete);
                writer.WriteEndObject();
            }

            writer.WriteString("model", completion.TryGetProperty("model", out var model) ? model.GetString() : string.Empty);
            writer.WriteStartArray("output");
            if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("message", out var message))
            {
                WriteOutput(writer, message, suffix);
            }

            writer.WriteEndArray();
            writer.WriteBoolean("parallel_tool_calls", true);
            writer.WriteString("tool_choice", "auto");
            writer.WriteStartArray("tools");
            writer.WriteEndArray();
            if (completion.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                WriteUsage(writer, usage);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteOutput(Utf8JsonWriter writer, JsonElement message, string suffix)
    {
        if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 } text)
        {
            writer.WriteStartObject();
            writer.WriteString("type", "message");
            writer.WriteString("id", "msg_" + suffix);
            writer.WriteString("status", "completed");
            writer.WriteString("role", "assistant");
            writer.WriteStartArray("content");
            writer.WriteStartObject();
            writer.WriteString("type", "output_text");
            writer.WriteString("text", text);
            writer.WriteStartArray("annotations");
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        if (!message.TryGetProperty("tool_calls", out var calls) || calls.ValueKind != JsonValueKind.Array)
        {
            return;
        }

        foreach (var call in calls.EnumerateArray())
        {
            var callId = call.GetProperty("id").GetString()!;
            var function = call.GetProperty("function");
            writer.WriteStartObject();
            writer.WriteString("type", "function_call");
            writer.WriteString("id", "fc_" + callId);
            writer.WriteString("call_id", callId);
            writer.WriteString("name", function.GetProperty("name").GetString());
            writer.WriteString("arguments", function.TryGetProperty("arguments", out var arguments) ? arguments.GetString() : "{}");
            writer.WriteString("status", "completed");
            if (call.TryGetProperty("extra_content", out var extra))
            {
                writer.WritePropertyName("extra_content");
                extra.WriteTo(writer);
            }

            writer.WriteEndObject();
        }
    }

    private static void WriteUsage(Utf8JsonWriter writer, JsonElement usage)
    {
        static int Get(JsonElement element, string name, string? detail = null)
        {
            if (!element.TryGetProperty(name, out var value))
            {
                return 0;
            }

            if (detail is not null)
            {
                return value.ValueKind == JsonValueKind.Object && value.TryGetProperty(detail, out var inner) && inner.TryGetInt32(out var d) ? d : 0;
            }

            return value.TryGetInt32(out var n) ? n : 0;
        }

        writer.WriteStartObject("usage");
        writer.WriteNumber("input_tokens", Get(usage, "prompt_tokens"));
        writer.WriteStartObject("input_tokens_details");
        writer.WriteNumber("cached_tokens", Get(usage, "prompt_tokens_details", "cached_tokens"));
        writer.WriteEndObject();
        writer.WriteNumber("output_tokens", Get(usage, "completion_tokens"));
        writer.WriteStartObject("output_tokens_details");
        writer.WriteNumber("reasoning_tokens", Get(usage, "completion_tokens_details", "reasoning_tokens"));
        writer.WriteEndObject();
        writer.WriteNumber("total_tokens", Get(usage, "total_tokens"));
        writer.WriteEndObject();
    }
}
