using System.Buffers;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>
/// A chat completions stream → the Responses API's event stream, for chat-only providers: <c>response.created</c>,
/// <c>response.in_progress</c>, then per output item <c>response.output_item.added</c>, the text
/// (<c>response.content_part.added</c>, <c>response.output_text.delta</c>…<c>done</c>, <c>response.content_part.done</c>)
/// or the function call's arguments (<c>response.function_call_arguments.delta</c>…<c>done</c>),
/// <c>response.output_item.done</c>, and last <c>response.completed</c> (or <c>response.incomplete</c>) with the whole
/// response, built by <see cref="ChatToResponsesTranslator"/> so it matches the non-streaming answer.
/// </summary>
internal static class ChatStreamToResponsesEvents
{
    public static async IAsyncEnumerable<GatewayEvent> TranslateAsync(IAsyncEnumerable<GatewayEvent> chunks, string model, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var state = new State(model);
        await foreach (var chunk in chunks.WithCancellation(cancellationToken))
        {
            using var document = JsonDocument.Parse(chunk.Data);
            foreach (var item in state.Apply(document.RootElement))
            {
                yield return item;
            }
        }

        foreach (var item in state.Finish())
        {
            yield return item;
        }
    }

    private sealed class State(string model)
    {
        private readonly StringBuilder _text = new();
        private readonly List<ToolCall> _calls = [];
        private int _sequence;
        private string? _id;
        private string _model = model;
        private long _created;
        private string? _finish;
        private JsonElement? _usage;
        private int _textIndex = -1;
        private int _outputs;

        private string Suffix => _id is { } id && id.StartsWith("chatcmpl-", StringComparison.Ordinal) ? id["chatcmpl-".Length..] : _id ?? "gateway";

        public IEnumerable<GatewayEvent> Apply(JsonElement chunk)
        {
            if (_id is null)
            {
                _id = chunk.TryGetProperty("id", out var id) ? id.GetString() : null;
                _model = chunk.TryGetProperty("model", out var m) ? m.GetString() ?? _model : _model;
                _created = chunk.TryGetProperty("created", out var c) && c.TryGetInt64(out var created) ? created : 0;
                var started = Response("in_progress");
                yield return Event("response.created", w => Raw(w, "response", started));
                yield return Event("response.in_progress", w => Raw(w, "response", started));
            }

            if (chunk.TryGetProperty("usage", out var usage) && usage.ValueKind == JsonValueKind.Object)
            {
                _usage = usage.Clone();
            }

            if (!chunk.TryGetProperty("choices", out var choices) || choices.ValueKind != JsonValueKind.Array || choices.GetArrayLength() == 0)
            {
                yield break;
            }

            var choice = choices[0];
            if (choice.TryGetProperty("finish_reason", out var finish) && finish.ValueKind == JsonValueKind.String)
            {
                _finish = finish.GetString();
            }

            if (!choice.TryGetProperty("delta", out var delta))
            {
                yield break;
            }

            if (delta.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String && content.GetString() is { Length: > 0 } text)
            {
                if (_textIndex < 0)
                {
                    _textIndex = _outputs++;
                    yield return Event("response.output_item.added", w => MessageItem(w, "in_progress", text: null));
                    yield return Event("response.content_part.added", w => Part(w, string.Empty));
                }

                _text.Append(text);
                yield return Event("response.output_text.delta", w =>
                {
                    TextPosition(w);
                    w.WriteString("delta", text);
                });
            }

            if (delta.TryGetProperty("tool_calls", out var calls) && calls.ValueKind == JsonValueKind.Array)
            {
                foreach (var call in calls.EnumerateArray())
                {
                    var index = call.TryGetProperty("index", out var i) && i.TryGetInt32(out var n) ? n : _calls.Count;
                    var function = call.TryGetProperty("function", out var f) ? f : default;
                    if (_calls.Find(c => c.Index == index) is not { } current)
                    {
                        current = new ToolCall(index, call.TryGetProperty("id", out var callId) ? callId.GetString() ?? string.Empty : string.Empty, _outputs++)
                        {
                            Name = function.ValueKind == JsonValueKind.Object && function.TryGetProperty("name", out var name) ? name.GetString() ?? string.Empty : string.Empty,
                            Extra = call.TryGetProperty("extra_content", out var extra) ? extra.Clone() : null,
                        };
                        _calls.Add(current);
                        yield return Event("response.output_item.added", w =>
                        {
                            w.WriteNumber("output_index", current.Output);
                            w.WritePropertyName("item");
                            WriteCall(w, current, "in_progress");
                        });
                    }

                    if (function.ValueKind == JsonValueKind.Object && function.TryGetProperty("arguments", out var args) && args.GetString() is { Length: > 0 } piece)
                    {
                        current.Arguments.Append(piece);
                        yield return Event("response.function_call_arguments.delta", w =>
                        {
                            w.WriteString("item_id", "fc_" + current.Id);
                            w.WriteNumber("output_index", current.Output);
                            w.WriteString("delta", piece);
                        });
                    }
                }
            }
        }

        public IEnumerable<GatewayEvent> Finish()
        {
            if (_textIndex >= 0)
            {
                var text = _text.ToString();
                yield return Event("response.output_text.done", w =>
                {
                    TextPosition(w);
                    w.WriteString("text", text);
                });
                yield return Event("response.content_part.done", w => Part(w, text));
                yield return Event("response.output_item.done", w => MessageItem(w, "completed", text));
            }

            foreach (var call in _calls)
            {
                yield return Event("response.function_call_arguments.done", w =>
                {
                    w.WriteString("item_id", "fc_" + call.Id);
                    w.WriteNumber("output_index", call.Output);
                    w.WriteString("arguments", call.Arguments.ToString());
                });
                yield return Event("response.output_item.done", w =>
                {
                    w.WriteNumber("output_index", call.Output);
                    w.WritePropertyName("item");
                    WriteCall(w, call, "completed");
                });
            }

            var final = Response(null);
            var status = final.RootElement.GetProperty("status").GetString();
            yield return Event(status == "completed" ? "response.completed" : "response.incomplete", w => Raw(w, "response", final));
        }

        /// <summary>The response object so far: the chat answer accumulated, translated like a non-streamed one.</summary>
        private JsonDocument Response(string? status)
        {
            var buffer = new ArrayBufferWriter<byte>(512);
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("id", _id ?? "chatcmpl-gateway");
                w.WriteString("object", "chat.completion");
                w.WriteNumber("created", _created);
                w.WriteString("model", _model);
                w.WriteStartArray("choices");
                if (status is null)
                {
                    w.WriteStartObject();
                    w.WriteNumber("index", 0);
                    w.WriteStartObject("message");
                    w.WriteString("role", "assistant");
                    w.WriteString("content", _text.ToString());
                    if (_calls.Count > 0)
                    {
                        w.WriteStartArray("tool_calls");
                        foreach (var call in _calls)
                        {
                            w.WriteStartObject();
                            w.WriteString("id", call.Id);
                            w.WriteString("type", "function");
                            w.WriteStartObject("function");
                            w.WriteString("name", call.Name);
                            w.WriteString("arguments", call.Arguments.ToString());
                            w.WriteEndObject();
                            if (call.Extra is { } extra)
                            {
                                w.WritePropertyName("extra_content");
                                extra.WriteTo(w);
                            }

                            w.WriteEndObject();
                        }

                        w.WriteEndArray();
                    }

                    w.WriteEndObject();
                    w.WriteString("finish_reason", _finish ?? "stop");
                    w.WriteEndObject();
                }

                w.WriteEndArray();
                if (_usage is { } usage)
                {
                    w.WritePropertyName("usage");
                    usage.WriteTo(w);
                }

                w.WriteEndObject();
            }

            using var chat = JsonDocument.Parse(buffer.WrittenMemory);
            var response = JsonDocument.Parse(ChatToResponsesTranslator.Translate(chat.RootElement));
            if (status is null)
            {
                return response;
            }

            // While in progress: the same object with its status, and no output or usage yet.
            using (response)
            {
                var started = new ArrayBufferWriter<byte>(256);
                using (var w = new Utf8JsonWriter(started))
                {
                    w.WriteStartObject();
                    foreach (var property in response.RootElement.EnumerateObject())
                    {
                        if (property.Name == "status")
                        {
                            w.WriteString("status", status);
                        }
                        else if (property.Name != "usage")
                        {
                            property.WriteTo(w);
                        }
                    }

                    w.WriteEndObject();
                }

                return JsonDocument.Parse(started.WrittenMemory);
            }
        }

        /// <summary>The message output item: empty while in progress, with its text when done.</summary>
        private void MessageItem(Utf8JsonWriter w, string status, string? text)
        {
            w.WriteNumber("output_index", _textIndex);
            w.WriteStartObject("item");
            w.WriteString("id", "msg_" + Suffix);
            w.WriteString("type", "message");
            w.WriteString("status", status);
            w.WriteString("role", "assistant");
            w.WriteStartArray("content");
            if (text is not null)
            {
                WriteTextPart(w, text);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        private void TextPosition(Utf8JsonWriter w)
        {
            w.WriteString("item_id", "msg_" + Suffix);
            w.WriteNumber("output_index", _textIndex);
            w.WriteNumber("content_index", 0);
        }

        private void Part(Utf8JsonWriter w, string text)
        {
            TextPosition(w);
            w.WritePropertyName("part");
            WriteTextPart(w, text);
        }

        private static void WriteTextPart(Utf8JsonWriter w, string text)
        {
            w.WriteStartObject();
            w.WriteString("type", "output_text");
            w.WriteString("text", text);
            w.WriteStartArray("annotations");
            w.WriteEndArray();
            w.WriteEndObject();
        }

        private static void WriteCall(Utf8JsonWriter w, ToolCall call, string status)
        {
            w.WriteStartObject();
            w.WriteString("id", "fc_" + call.Id);
            w.WriteString("type", "function_call");
            w.WriteString("status", status);
            w.WriteString("call_id", call.Id);
            w.WriteString("name", call.Name);
            w.WriteString("arguments", status == "completed" ? call.Arguments.ToString() : string.Empty);
            if (call.Extra is { } extra)
            {
                w.WritePropertyName("extra_content");
                extra.WriteTo(w);
            }

            w.WriteEndObject();
        }

        private static void Raw(Utf8JsonWriter w, string name, JsonDocument value)
        {
            w.WritePropertyName(name);
            value.RootElement.WriteTo(w);
        }

        private GatewayEvent Event(string type, Action<Utf8JsonWriter> body)
        {
            var buffer = new ArrayBufferWriter<byte>(256);
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("type", type);
                w.WriteNumber("sequence_number", _sequence++);
                body(w);
                w.WriteEndObject();
            }

            return new GatewayEvent(buffer.WrittenSpan.ToArray(), type);
        }
    }

    private sealed class ToolCall(int index, string id, int output)
    {
        public int Index { get; } = index;

        public string Id { get; } = id;

        public int Output { get; } = output;

        public string Name { get; init; } = string.Empty;

        public JsonElement? Extra { get; init; }

        public StringBuilder Arguments { get; } = new();
    }
}
