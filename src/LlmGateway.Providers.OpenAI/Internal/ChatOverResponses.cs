using System.Buffers;
using System.Text.Json;

namespace LlmGateway.OpenAI.Internal;

/// <summary>
/// Chat completions sent over the Responses API (for instances with <c>UseResponsesApi</c>): the chat request becomes
/// a Responses request, and the response, or its event stream, becomes a chat completion, or chunks, that look exactly
/// like chat completions to the client.
/// </summary>
/// <remarks>
/// A request that uses what only Chat Completions can express (<c>n</c> &gt; 1, logprobs, audio, <c>stop</c>,
/// <c>seed</c>, penalties, <c>logit_bias</c>, predicted outputs, web search options, legacy functions, audio input,
/// message names, stored completions) is not translated: <see cref="TranslateRequest"/> returns null and the request
/// goes to chat completions as it is. Responses are created with <c>store: false</c>, as chat completions are not
/// stored unless asked.
/// </remarks>
internal static class ChatOverResponses
{
    private static readonly HashSet<string> s_chatOnly = new(StringComparer.Ordinal)
    {
        "logprobs", "top_logprobs", "audio", "logit_bias", "stop", "seed", "presence_penalty", "frequency_penalty",
        "prediction", "web_search_options", "functions", "function_call",
    };

    /// <summary>The Responses request, or null when the chat request needs chat completions.</summary>
    /// <param name="body">The chat request.</param>
    /// <param name="background">Whether to create the response in background mode (which needs it stored).</param>
    /// <param name="includeUsage">Whether the client asked for a usage chunk.</param>
    public static byte[]? TranslateRequest(ReadOnlyMemory<byte> body, bool background, out bool includeUsage)
    {
        includeUsage = false;
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        if (!IsExpressible(root))
        {
            return null;
        }

        var buffer = new ArrayBufferWriter<byte>(body.Length + 128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteBoolean("store", background);
            if (background)
            {
                writer.WriteBoolean("background", true);
            }

            foreach (var property in root.EnumerateObject())
            {
                var value = property.Value;
                switch (property.Name)
                {
                    case "model" or "stream" or "temperature" or "top_p" or "parallel_tool_calls" or "user" or "metadata" or "service_tier" or "prompt_cache_key" or "safety_identifier":
                        property.WriteTo(writer);
                        break;
                    case "max_tokens" when !root.TryGetProperty("max_completion_tokens", out _):
                    case "max_completion_tokens":
                        if (value.ValueKind != JsonValueKind.Null)
                        {
                            writer.WritePropertyName("max_output_tokens");
                            value.WriteTo(writer);
                        }

                        break;
                    case "reasoning_effort" when value.ValueKind == JsonValueKind.String:
                        writer.WriteStartObject("reasoning");
                        writer.WriteString("effort", value.GetString());
                        writer.WriteEndObject();
                        break;
                    case "stream_options":
                        includeUsage = value.ValueKind == JsonValueKind.Object && value.TryGetProperty("include_usage", out var usage) && usage.ValueKind == JsonValueKind.True;
                        break;
                    case "response_format" when value.ValueKind == JsonValueKind.Object:
                        WriteTextFormat(writer, value);
                        break;
                    case "tools" when value.ValueKind == JsonValueKind.Array:
                        WriteTools(writer, value);
                        break;
                    case "tool_choice":
                        WriteToolChoice(writer, value);
                        break;
                    case "messages":
                        WriteInput(writer, value);
                        break;
                    default:
                        break;
                }
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static bool IsExpressible(JsonElement root)
    {
        foreach (var property in root.EnumerateObject())
        {
            var value = property.Value;
            if (value.ValueKind == JsonValueKind.Null || value.ValueKind == JsonValueKind.False)
            {
                continue;
            }

            if (s_chatOnly.Contains(property.Name)
                || property.Name == "n" && (!value.TryGetInt32(out var n) || n != 1)
                || property.Name == "store" && value.ValueKind == JsonValueKind.True
                || property.Name == "modalities" && value.ValueKind == JsonValueKind.Array && value.EnumerateArray().Any(static m => m.GetString() != "text")
                || property.Name == "tools" && value.ValueKind == JsonValueKind.Array && value.EnumerateArray().Any(static t => !t.TryGetProperty("type", out var type) || type.GetString() != "function"))
            {
                return false;
            }
        }

        foreach (var message in root.GetProperty("messages").EnumerateArray())
        {
            if (message.TryGetProperty("name", out _) || message.GetProperty("role").GetString() is not ("system" or "developer" or "user" or "assistant" or "tool"))
            {
                return false;
            }

            if (message.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array
                && content.EnumerateArray().Any(static p => !p.TryGetProperty("type", out var t) || t.GetString() is not ("text" or "image_url" or "file" or "refusal")))
            {
                return false;
            }
        }

        return true;
    }

    private static void WriteInput(Utf8JsonWriter writer, JsonElement messages)
    {
        writer.WriteStartArray("input");
        foreach (var message in messages.EnumerateArray())
        {
            var role = message.GetProperty("role").GetString()!;
            var content = message.TryGetProperty("content", out var c) ? c : default;
            if (role == "tool")
            {
                writer.WriteStartObject();
                writer.WriteString("type", "function_call_output");
                writer.WriteString("call_id", message.GetProperty("tool_call_id").GetString());
                writer.WriteString("output", Text(content));
                writer.WriteEndObject();
                continue;
            }

            if (content.ValueKind == JsonValueKind.String || content.ValueKind == JsonValueKind.Array && role != "assistant")
            {
                writer.WriteStartObject();
                writer.WriteString("role", role);
                if (content.ValueKind == JsonValueKind.String)
                {
                    writer.WriteString("content", content.GetString());
                }
                else
                {
                    WriteParts(writer, content);
                }

                writer.WriteEndObject();
            }
            else if (role == "assistant" && content.ValueKind == JsonValueKind.Array && Text(content) is { Length: > 0 } text)
            {
                writer.WriteStartObject();
                writer.WriteString("role", role);
                writer.WriteString("content", text);
                writer.WriteEndObject();
            }

            if (role == "assistant" && message.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in calls.EnumerateArray())
                {
                    var function = call.GetProperty("function");
                    writer.WriteStartObject();
                    writer.WriteString("type", "function_call");
                    writer.WriteString("call_id", call.GetProperty("id").GetString());
                    writer.WriteString("name", function.GetProperty("name").GetString());
                    writer.WriteString("arguments", function.TryGetProperty("arguments", out var a) ? a.GetString() : "{}");
                    writer.WriteEndObject();
                }
            }
        }

        writer.WriteEndArray();
    }

    private static void WriteParts(Utf8JsonWriter writer, JsonElement parts)
    {
        writer.WriteStartArray("content");
        foreach (var part in parts.EnumerateArray())
        {
            switch (part.GetProperty("type").GetString())
            {
                case "text":
                    writer.WriteStartObject();
                    writer.WriteString("type", "input_text");
                    writer.WriteString("text", part.GetProperty("text").GetString());
                    writer.WriteEndObject();
                    break;
                case "image_url":
                    var image = part.GetProperty("image_url");
                    writer.WriteStartObject();
                    writer.WriteString("type", "input_image");
                    writer.WriteString("image_url", image.ValueKind == JsonValueKind.String ? image.GetString() : image.GetProperty("url").GetString());
                    writer.WriteString("detail", image.ValueKind == JsonValueKind.Object && image.TryGetProperty("detail", out var detail) ? detail.GetString() : "auto");
                    writer.WriteEndObject();
                    break;
                case "file":
                    var file = part.GetProperty("file");
                    writer.WriteStartObject();
                    writer.WriteString("type", "input_file");
                    foreach (var field in file.EnumerateObject())
                    {
                        if (field.Name is "file_data" or "file_id" or "filename")
                        {
                            field.WriteTo(writer);
                        }
                    }

                    writer.WriteEndObject();
                    break;
                default:
                    break;
            }
        }

        writer.WriteEndArray();
    }

    private static void WriteTools(Utf8JsonWriter writer, JsonElement tools)
    {
        writer.WriteStartArray("tools");
        foreach (var tool in tools.EnumerateArray())
        {
            writer.WriteStartObject();
            writer.WriteString("type", "function");
            foreach (var field in tool.GetProperty("function").EnumerateObject())
            {
                field.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }

    private static void WriteToolChoice(Utf8JsonWriter writer, JsonElement choice)
    {
        if (choice.ValueKind == JsonValueKind.Object && choice.TryGetProperty("function", out var function))
        {
            writer.WriteStartObject("tool_choice");
            writer.WriteString("type", "function");
            writer.WriteString("name", function.GetProperty("name").GetString());
            writer.WriteEndObject();
        }
        else if (choice.ValueKind != JsonValueKind.Null)
        {
            writer.WritePropertyName("tool_choice");
            choice.WriteTo(writer);
        }
    }

    private static void WriteTextFormat(Utf8JsonWriter writer, JsonElement format)
    {
        var type = format.TryGetProperty("type", out var t) ? t.GetString() : "text";
        writer.WriteStartObject("text");
        writer.WriteStartObject("format");
        writer.WriteString("type", type);
        if (type == "json_schema" && format.TryGetProperty("json_schema", out var schema))
        {
            foreach (var field in schema.EnumerateObject())
            {
                field.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static string Text(JsonElement content) => content.ValueKind switch
    {
        JsonValueKind.String => content.GetString()!,
        JsonValueKind.Array => string.Join("\n", content.EnumerateArray().Where(static p => p.TryGetProperty("text", out _)).Select(static p => p.GetProperty("text").GetString())),
        _ => string.Empty,
    };
}
