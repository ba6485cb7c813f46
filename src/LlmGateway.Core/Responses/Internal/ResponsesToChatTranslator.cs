using System.Buffers;
using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>
/// A Responses API request → a chat completions request, for providers that speak only chat (Gemini): input items
/// become messages, <c>instructions</c> a system message, function tools and their calls and outputs become chat
/// tools, tool calls and tool messages, <c>text.format</c> becomes <c>response_format</c>, <c>reasoning.effort</c>
/// <c>reasoning_effort</c>, <c>max_output_tokens</c> <c>max_completion_tokens</c>.
/// </summary>
/// <remarks>
/// What depends on state kept by OpenAI (<c>previous_response_id</c>, <c>conversation</c>, <c>background</c>, stored
/// prompts) or on OpenAI's hosted tools is refused with a 400 naming it: the gateway keeps no such state.
/// </remarks>
internal static class ResponsesToChatTranslator
{
    private static readonly HashSet<string> s_refused = new(StringComparer.Ordinal)
    {
        "previous_response_id", "conversation", "background", "prompt",
    };

    public static (byte[]? Body, GatewayError? Error) Translate(ReadOnlyMemory<byte> body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        foreach (var property in root.EnumerateObject())
        {
            if (s_refused.Contains(property.Name) && property.Value.ValueKind is not (JsonValueKind.Null or JsonValueKind.False))
            {
                return (null, Refuse(property.Name, "it needs state that OpenAI keeps; send the whole conversation as input instead"));
            }
        }

        if (!root.TryGetProperty("input", out var given) || given.ValueKind is not (JsonValueKind.String or JsonValueKind.Array)
            || (given.ValueKind == JsonValueKind.Array && given.GetArrayLength() == 0))
        {
            // Nothing to answer: without state kept at OpenAI, the conversation is the input.
            return (null, new GatewayError(GatewayErrorKind.MissingParameter, "Missing required parameter: 'input' (a string or a non-empty list of items).", "input"));
        }

        var buffer = new ArrayBufferWriter<byte>(body.Length + 256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("model", root.GetProperty("model").GetString());
            writer.WriteStartArray("messages");
            if (root.TryGetProperty("instructions", out var instructions) && instructions.ValueKind == JsonValueKind.String)
            {
                WriteMessage(writer, "system", instructions.GetString()!);
            }

            if (root.TryGetProperty("input", out var input))
            {
                if (input.ValueKind == JsonValueKind.String)
                {
                    WriteMessage(writer, "user", input.GetString()!);
                }
                else if (input.ValueKind == JsonValueKind.Array && WriteItems(writer, input) is { } itemsError)
                {
                    return (null, itemsError);
                }
            }

            writer.WriteEndArray();
            if (WriteOptions(writer, root) is { } optionsError)
            {
                return (null, optionsError);
            }

            writer.WriteEndObject();
        }

        return (buffer.WrittenSpan.ToArray(), null);
    }

    private static GatewayError? WriteItems(Utf8JsonWriter writer, JsonElement items)
    {
        // Consecutive function calls form one assistant message with several tool calls, as chat expects.
        var pendingCalls = new List<JsonElement>();
        var index = 0;
        foreach (var item in items.EnumerateArray())
        {
            var path = $"input[{index++}]";
            var type = item.TryGetProperty("type", out var t) ? t.GetString() : "message";
            if (type != "function_call")
            {
                FlushCalls(writer, pendingCalls);
            }

            switch (type)
            {
                case "message" or null:
                    if (WriteMessageItem(writer, item, path) is { } error)
                    {
                        return error;
                    }

                    break;
                case "function_call":
                    pendingCalls.Add(item);
                    break;
                case "function_call_output":
                    writer.WriteStartObject();
                    writer.WriteString("role", "tool");
                    writer.WriteString("tool_call_id", item.GetProperty("call_id").GetString());
                    writer.WriteString("content", item.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.String ? output.GetString() : output.GetRawText());
                    writer.WriteEndObject();
                    break;
                case "reasoning":
                    break; // reasoning items are OpenAI's own; other providers have nothing to do with them
                default:
                    return Refuse(path + ".type", $"input items of type '{type}' exist only at OpenAI");
            }
        }

        FlushCalls(writer, pendingCalls);
        return null;
    }

    private static void FlushCalls(Utf8JsonWriter writer, List<JsonElement> calls)
    {
        if (calls.Count == 0)
        {
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("role", "assistant");
        writer.WriteNull("content");
        writer.WriteStartArray("tool_calls");
        foreach (var call in calls)
        {
            ChatToolCallWriter.Write(writer, call);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        calls.Clear();
    }

    private static GatewayError? WriteMessageItem(Utf8JsonWriter writer, JsonElement item, string path)
    {
        var role = item.TryGetProperty("role", out var r) ? r.GetString() : "user";
        writer.WriteStartObject();
        writer.WriteString("role", role);
        if (!item.TryGetProperty("content", out var content) || content.ValueKind == JsonValueKind.String)
        {
            writer.WriteString("content", content.ValueKind == JsonValueKind.String ? content.GetString() : string.Empty);
            writer.WriteEndObject();
            return null;
        }

        writer.WriteStartArray("content");
        var i = 0;
        foreach (var part in content.EnumerateArray())
        {
            var partPath = $"{path}.content[{i++}]";
            switch (part.TryGetProperty("type", out var pt) ? pt.GetString() : null)
            {
                case "input_text" or "output_text" or "text":
                    writer.WriteStartObject();
                    writer.WriteString("type", "text");
                    writer.WriteString("text", part.GetProperty("text").GetString());
                    writer.WriteEndObject();
                    break;
                case "input_image" when part.TryGetProperty("image_url", out var url) && url.ValueKind == JsonValueKind.String:
                    writer.WriteStartObject();
                    writer.WriteString("type", "image_url");
                    writer.WriteStartObject("image_url");
                    writer.WriteString("url", url.GetString());
                    writer.WriteEndObject();
                    writer.WriteEndObject();
                    break;
                case "input_file" when part.TryGetProperty("file_data", out var data) && data.ValueKind == JsonValueKind.String:
                    writer.WriteStartObject();
                    writer.WriteString("type", "file");
                    writer.WriteStartObject("file");
                    writer.WriteString("file_data", data.GetString());
                    if (part.TryGetProperty("filename", out var filename))
                    {
                        writer.WriteString("filename", filename.GetString());
                    }

                    writer.WriteEndObject();
                    writer.WriteEndObject();
                    break;
                case "refusal":
                    break;
                default:
                    return Refuse(partPath, "this content part needs OpenAI (file ids and image ids refer to files stored there)");
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
        return null;
    }

    private static GatewayError? WriteOptions(Utf8JsonWriter writer, JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            switch (property.Name)
            {
                case "temperature" or "top_p" or "parallel_tool_calls" or "user" or "metadata" or "store" or "service_tier" or "top_logprobs" or "cached_content" or "safety_settings":
                    property.WriteTo(writer);
                    break;
                case "stream":
                    property.WriteTo(writer);
                    if (value.ValueKind == JsonValueKind.True)
                    {
                        // The final response.completed event carries the usage.
                        writer.WriteStartObject("stream_options");
                        writer.WriteBoolean("include_usage", true);
                        writer.WriteEndObject();
                    }

                    break;
                case "max_output_tokens":
                    writer.WritePropertyName("max_completion_tokens");
                    value.WriteTo(writer);
                    break;
                case "reasoning" when value.ValueKind == JsonValueKind.Object && value.TryGetProperty("effort", out var effort):
                    writer.WritePropertyName("reasoning_effort");
                    effort.WriteTo(writer);
                    break;
                case "tool_choice":
                    if (value.ValueKind == JsonValueKind.Object && value.TryGetProperty("name", out var choiceName))
                    {
                        writer.WriteStartObject("tool_choice");
                        writer.WriteString("type", "function");
                        writer.WriteStartObject("function");
                        writer.WriteString("name", choiceName.GetString());
                        writer.WriteEndObject();
                        writer.WriteEndObject();
                    }
                    else
                    {
                        property.WriteTo(writer);
                    }

                    break;
                case "tools" when value.ValueKind == JsonValueKind.Array:
                    writer.WriteStartArray("tools");
                    var i = 0;
                    foreach (var tool in value.EnumerateArray())
                    {
                        if (!tool.TryGetProperty("type", out var type) || type.GetString() != "function")
                        {
                            return Refuse($"tools[{i}].type", "only function tools can be translated; the others are OpenAI's hosted tools");
                        }

                        writer.WriteStartObject();
                        writer.WriteString("type", "function");
                        writer.WriteStartObject("function");
                        foreach (var field in tool.EnumerateObject())
                        {
                            if (field.Name is "name" or "description" or "parameters" or "strict")
                            {
                                field.WriteTo(writer);
                            }
                        }

                        writer.WriteEndObject();
                        writer.WriteEndObject();
                        i++;
                    }

                    writer.WriteEndArray();
                    break;
                case "text" when value.ValueKind == JsonValueKind.Object && value.TryGetProperty("format", out var format):
                    WriteResponseFormat(writer, format);
                    break;
                default:
                    break;
            }
        }

        return null;
    }

    private static void WriteResponseFormat(Utf8JsonWriter writer, JsonElement format)
    {
        var type = format.TryGetProperty("type", out var t) ? t.GetString() : "text";
        writer.WriteStartObject("response_format");
        writer.WriteString("type", type);
        if (type == "json_schema")
        {
            writer.WriteStartObject("json_schema");
            foreach (var field in format.EnumerateObject())
            {
                if (field.Name is "name" or "schema" or "strict" or "description")
                {
                    field.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        writer.WriteEndObject();
    }

    private static void WriteMessage(Utf8JsonWriter writer, string role, string text)
    {
        writer.WriteStartObject();
        writer.WriteString("role", role);
        writer.WriteString("content", text);
        writer.WriteEndObject();
    }

    private static GatewayError Refuse(string param, string why) =>
        new(GatewayErrorKind.InvalidRequest, $"'{param}' cannot be served by this provider through the Responses API: {why}.", param) { Code = "unsupported_parameter" };
}
