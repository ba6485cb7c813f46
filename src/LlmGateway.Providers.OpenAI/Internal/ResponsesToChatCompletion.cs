using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace LlmGateway.OpenAI.Internal;

/// <summary>
/// A Responses API response, or its event stream, → a chat completion, or chat completion chunks: <c>message</c>
/// output items become the content (refusals the refusal), <c>function_call</c> items tool calls (the call id is the
/// tool call id), reasoning items are dropped; <c>completed</c> → <c>stop</c>/<c>tool_calls</c>, <c>incomplete</c> →
/// <c>length</c>/<c>content_filter</c>, <c>failed</c> → an error; usage Chat-style.
/// </summary>
internal static class ResponsesToChatCompletion
{
    public static GatewayResponse Translate(JsonElement response)
    {
        if (Failure(response) is { } failure)
        {
            return GatewayResponse.FromError(failure);
        }

        var text = new StringBuilder();
        var refusal = new StringBuilder();
        var calls = new List<JsonElement>();
        if (response.TryGetProperty("output", out var output) && output.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in output.EnumerateArray())
            {
                switch (item.TryGetProperty("type", out var type) ? type.GetString() : null)
                {
                    case "message" when item.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.Array:
                        foreach (var part in content.EnumerateArray())
                        {
                            var partType = part.TryGetProperty("type", out var pt) ? pt.GetString() : null;
                            if (partType == "output_text" && part.TryGetProperty("text", out var t))
                            {
                                text.Append(t.GetString());
                            }
                            else if (partType == "refusal" && part.TryGetProperty("refusal", out var r))
                            {
                                refusal.Append(r.GetString());
                            }
                        }

                        break;
                    case "function_call":
                        calls.Add(item);
                        break;
                    default:
                        break;
                }
            }
        }

        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteHeader(writer, ChatId(response), "chat.completion", Created(response), Model(response));
            writer.WriteStartArray("choices");
            writer.WriteStartObject();
            writer.WriteNumber("index", 0);
            writer.WriteStartObject("message");
            writer.WriteString("role", "assistant");
            if (text.Length > 0 || calls.Count == 0 && refusal.Length == 0)
            {
                writer.WriteString("content", text.ToString());
            }
            else
            {
                writer.WriteNull("content");
            }

            if (refusal.Length > 0)
            {
                writer.WriteString("refusal", refusal.ToString());
            }
            else
            {
                writer.WriteNull("refusal");
            }

            if (calls.Count > 0)
            {
                writer.WriteStartArray("tool_calls");
                foreach (var call in calls)
                {
                    ChatToolCallWriter.Write(writer, call);
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
            writer.WriteNull("logprobs");
            writer.WriteString("finish_reason", FinishReason(response, calls.Count > 0));
            writer.WriteEndObject();
            writer.WriteEndArray();
            if (response.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                WriteUsage(writer, usage);
            }

            writer.WriteEndObject();
        }

        return GatewayResponse.FromBody(buffer.WrittenSpan.ToArray());
    }

    /// <summary>The event stream → chunks, ids and tool-call indexes stable across the stream.</summary>
    public static async IAsyncEnumerable<GatewayEvent> TranslateStreamAsync(IAsyncEnumerable<GatewayEvent> events, bool includeUsage, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string id = "chatcmpl-gateway", model = string.Empty;
        long created = 0;
        var toolIndexes = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (var item in events.WithCancellation(cancellationToken))
        {
            using var document = JsonDocument.Parse(item.Data);
            var data = document.RootElement;
            var type = item.EventType ?? (data.TryGetProperty("type", out var t) ? t.GetString() : null);
            switch (type)
            {
                case "response.created":
                    var started = data.GetProperty("response");
                    (id, model, created) = (ChatId(started), Model(started), Created(started));
                    yield return Chunk(id, created, model, w =>
                    {
                        w.WriteString("role", "assistant");
                        w.WriteString("content", string.Empty);
                    });
                    break;
                case "response.output_text.delta":
                    var text = data.GetProperty("delta").GetString();
                    yield return Chunk(id, created, model, w => w.WriteString("content", text));
                    break;
                case "response.refusal.delta":
                    var refusal = data.GetProperty("delta").GetString();
                    yield return Chunk(id, created, model, w => w.WriteString("refusal", refusal));
                    break;
                case "response.output_item.added" when data.TryGetProperty("item", out var added) && added.TryGetProperty("type", out var addedType) && addedType.GetString() == "function_call":
                    var index = toolIndexes.Count;
                    toolIndexes[added.GetProperty("id").GetString() ?? string.Empty] = index;
                    var callId = added.GetProperty("call_id").GetString();
                    var name = added.GetProperty("name").GetString();
                    yield return Chunk(id, created, model, w => ToolCall(w, index, callId, name, string.Empty));
                    break;
                case "response.function_call_arguments.delta":
                    if (toolIndexes.TryGetValue(data.GetProperty("item_id").GetString() ?? string.Empty, out var callIndex))
                    {
                        var arguments = data.GetProperty("delta").GetString();
                        yield return Chunk(id, created, model, w => ToolCall(w, callIndex, null, null, arguments));
                    }

                    break;
                case "response.completed" or "response.incomplete" or "response.failed":
                    var final = data.GetProperty("response");
                    if (Failure(final) is { } failure)
                    {
                        throw new LlmGatewayException(failure);
                    }

                    var finish = FinishReason(final, toolIndexes.Count > 0);
                    yield return Chunk(id, created, model, static _ => { }, finish);
                    if (includeUsage && final.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
                    {
                        yield return Write(id, created, model, w =>
                        {
                            w.WriteStartArray("choices");
                            w.WriteEndArray();
                            WriteUsage(w, usage);
                        });
                    }

                    yield break;
                case "error":
                    throw new LlmGatewayException(new GatewayError(
                        GatewayErrorKind.StreamInterrupted,
                        data.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String ? UpstreamRequests.MaskSecrets(message.GetString()!) : "The upstream reported an error.")
                    { Code = data.TryGetProperty("code", out var code) && code.ValueKind == JsonValueKind.String ? code.GetString() : "stream_interrupted" });
                default:
                    break;
            }
        }
    }

    private static GatewayError? Failure(JsonElement response)
    {
        if (!response.TryGetProperty("status", out var status) || status.GetString() != "failed")
        {
            return null;
        }

        var error = response.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.Object ? e : default;
        var message = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? UpstreamRequests.MaskSecrets(m.GetString()!) : null;
        return new GatewayError(GatewayErrorKind.UpstreamInvalidResponse, message ?? "The upstream failed to produce the response.")
        {
            Code = error.ValueKind == JsonValueKind.Object && error.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : "response_failed",
        };
    }

    private static string FinishReason(JsonElement response, bool calledTools)
    {
        if (response.TryGetProperty("status", out var status) && status.GetString() == "incomplete")
        {
            var reason = response.TryGetProperty("incomplete_details", out var details) && details.ValueKind == JsonValueKind.Object
                && details.TryGetProperty("reason", out var r) ? r.GetString() : null;
            return reason == "content_filter" ? "content_filter" : "length";
        }

        return calledTools ? "tool_calls" : "stop";
    }

    private static void WriteUsage(Utf8JsonWriter writer, JsonElement usage)
    {
        static int Get(JsonElement element, string name, string? detail = null) =>
            !element.TryGetProperty(name, out var value) ? 0
            : detail is null ? (value.TryGetInt32(out var n) ? n : 0)
            : value.ValueKind == JsonValueKind.Object && value.TryGetProperty(detail, out var inner) && inner.TryGetInt32(out var d) ? d : 0;

        writer.WriteStartObject("usage");
        writer.WriteNumber("prompt_tokens", Get(usage, "input_tokens"));
        writer.WriteNumber("completion_tokens", Get(usage, "output_tokens"));
        writer.WriteNumber("total_tokens", Get(usage, "total_tokens"));
        writer.WriteStartObject("prompt_tokens_details");
        writer.WriteNumber("cached_tokens", Get(usage, "input_tokens_details", "cached_tokens"));
        writer.WriteEndObject();
        writer.WriteStartObject("completion_tokens_details");
        writer.WriteNumber("reasoning_tokens", Get(usage, "output_tokens_details", "reasoning_tokens"));
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    private static void ToolCall(Utf8JsonWriter writer, int index, string? id, string? name, string? arguments)
    {
        writer.WriteStartArray("tool_calls");
        writer.WriteStartObject();
        writer.WriteNumber("index", index);
        if (id is not null)
        {
            writer.WriteString("id", id);
            writer.WriteString("type", "function");
        }

        writer.WriteStartObject("function");
        if (name is not null)
        {
            writer.WriteString("name", name);
        }

        writer.WriteString("arguments", arguments);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndArray();
    }

    private static GatewayEvent Chunk(string id, long created, string model, Action<Utf8JsonWriter> delta, string? finishReason = null) => Write(id, created, model, w =>
    {
        w.WriteStartArray("choices");
        w.WriteStartObject();
        w.WriteNumber("index", 0);
        w.WriteStartObject("delta");
        delta(w);
        w.WriteEndObject();
        w.WriteNull("logprobs");
        if (finishReason is null)
        {
            w.WriteNull("finish_reason");
        }
        else
        {
            w.WriteString("finish_reason", finishReason);
        }

        w.WriteEndObject();
        w.WriteEndArray();
    });

    private static GatewayEvent Write(string id, long created, string model, Action<Utf8JsonWriter> body)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteHeader(writer, id, "chat.completion.chunk", created, model);
            body(writer);
            writer.WriteEndObject();
        }

        return new GatewayEvent(buffer.WrittenSpan.ToArray());
    }

    private static void WriteHeader(Utf8JsonWriter writer, string id, string type, long created, string model)
    {
        writer.WriteString("id", id);
        writer.WriteString("object", type);
        writer.WriteNumber("created", created);
        writer.WriteString("model", model);
    }

    /// <summary><c>resp_abc</c> → <c>chatcmpl-abc</c>: a chat-looking id, stable for the same response.</summary>
    private static string ChatId(JsonElement response)
    {
        var id = response.TryGetProperty("id", out var i) ? i.GetString() ?? string.Empty : string.Empty;
        return "chatcmpl-" + (id.StartsWith("resp_", StringComparison.Ordinal) ? id["resp_".Length..] : id);
    }

    private static long Created(JsonElement response) =>
        response.TryGetProperty("created_at", out var c) && c.TryGetInt64(out var created) ? created : 0;

    private static string Model(JsonElement response) =>
        response.TryGetProperty("model", out var m) ? m.GetString() ?? string.Empty : string.Empty;
}
