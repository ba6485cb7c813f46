using System.Buffers;
using System.Text.Json;

namespace LlmGateway.Samples.Extending.Anthropic;

/// <summary>
/// Anthropic's streamed message events → OpenAI <c>chat.completion.chunk</c>s, one translator per stream (it keeps the
/// message id, the usage so far and which content blocks are tool calls):
/// <list type="bullet">
/// <item><c>message_start</c> → a first chunk with <c>delta.role</c>; its input token counts are kept.</item>
/// <item><c>content_block_start</c> of a <c>tool_use</c> → a <c>tool_calls</c> delta with the id and name;
/// <c>content_block_delta</c>: <c>text_delta</c> → a <c>content</c> delta, <c>input_json_delta</c> → an arguments
/// delta of that call. Thinking deltas and <c>content_block_stop</c> give nothing.</item>
/// <item><c>message_delta</c> → the chunk with the <c>finish_reason</c>; its (cumulative) output tokens are kept.</item>
/// <item><c>message_stop</c> → the usage chunk, when the request asked for <c>stream_options.include_usage</c>.</item>
/// <item><c>ping</c> and event types it does not know → nothing; <c>error</c> → <see cref="LlmGatewayException"/>.</item>
/// </list>
/// </summary>
internal sealed class AnthropicStreamTranslator(string requestedModel, bool includeUsage, long created)
{
    private readonly Dictionary<int, int> _toolIndexByBlock = [];
    private string _id = "msg_unknown";
    private string _model = requestedModel;
    private Usage _usage;

    /// <summary>Gets a value indicating whether <c>message_stop</c> arrived: the stream is complete.</summary>
    public bool Completed { get; private set; }

    /// <summary>Translates one event's data into the chunks to send, if any.</summary>
    /// <exception cref="LlmGatewayException">The event is Anthropic's <c>error</c> event, or not JSON.</exception>
    public void Translate(ReadOnlySpan<byte> data, List<byte[]> chunks)
    {
        JsonDocument document;
        try
        {
            var reader = new Utf8JsonReader(data);
            document = JsonDocument.ParseValue(ref reader);
        }
        catch (JsonException ex)
        {
            throw new LlmGatewayException(new GatewayError(GatewayErrorKind.StreamInterrupted, "Anthropic sent an event that is not JSON."), ex);
        }

        using (document)
        {
            var root = document.RootElement;
            switch (AnthropicResponseTranslator.String(root, "type"))
            {
                case "message_start":
                    var message = root.GetProperty("message");
                    _id = AnthropicResponseTranslator.String(message, "id") ?? _id;
                    _model = AnthropicResponseTranslator.String(message, "model") ?? _model;
                    if (message.TryGetProperty("usage", out var startUsage))
                    {
                        _usage = Usage.From(startUsage);
                    }

                    chunks.Add(Chunk(static w =>
                    {
                        w.WriteString("role"u8, "assistant"u8);
                        w.WriteString("content"u8, string.Empty);
                    }));
                    break;

                case "content_block_start":
                    var block = root.GetProperty("content_block");
                    if (AnthropicResponseTranslator.String(block, "type") == "tool_use")
                    {
                        var toolIndex = _toolIndexByBlock.Count;
                        _toolIndexByBlock[root.GetProperty("index").GetInt32()] = toolIndex;
                        var id = AnthropicResponseTranslator.String(block, "id");
                        var name = AnthropicResponseTranslator.String(block, "name");
                        chunks.Add(Chunk(w => WriteToolCall(w, toolIndex, id, name, string.Empty)));
                    }
                    else if (AnthropicResponseTranslator.String(block, "text") is { Length: > 0 } initial)
                    {
                        chunks.Add(Chunk(w => w.WriteString("content"u8, initial)));
                    }

                    break;

                case "content_block_delta":
                    var delta = root.GetProperty("delta");
                    switch (AnthropicResponseTranslator.String(delta, "type"))
                    {
                        case "text_delta":
                            var text = AnthropicResponseTranslator.String(delta, "text") ?? string.Empty;
                            chunks.Add(Chunk(w => w.WriteString("content"u8, text)));
                            break;
                        case "input_json_delta" when _toolIndexByBlock.TryGetValue(root.GetProperty("index").GetInt32(), out var index):
                            var json = AnthropicResponseTranslator.String(delta, "partial_json") ?? string.Empty;
                            chunks.Add(Chunk(w => WriteToolCall(w, index, null, null, json)));
                            break;
                    }

                    break;

                case "message_delta":
                    if (root.TryGetProperty("usage", out var deltaUsage) && deltaUsage.TryGetProperty("output_tokens", out var output))
                    {
                        _usage = _usage with { Output = output.GetInt64() };
                    }

                    var reason = AnthropicResponseTranslator.FinishReason(AnthropicResponseTranslator.String(root.GetProperty("delta"), "stop_reason"));
                    chunks.Add(Chunk(static _ => { }, reason));
                    break;

                case "message_stop":
                    Completed = true;
                    if (includeUsage)
                    {
                        chunks.Add(UsageChunk());
                    }

                    break;

                case "error":
                    throw new LlmGatewayException(AnthropicErrors.FromStreamError(root));
            }
        }
    }

    private static void WriteToolCall(Utf8JsonWriter writer, int index, string? id, string? name, string arguments)
    {
        writer.WriteStartArray("tool_calls"u8);
        writer.WriteStartObject();
        writer.WriteNumber("index"u8, index);
        if (id is not null)
        {
            writer.WriteString("id"u8, id);
            writer.WriteString("type"u8, "function"u8);
        }

        writer.WriteStartObject("function"u8);
        if (name is not null)
        {
            writer.WriteString("name"u8, name);
        }

        writer.WriteString("arguments"u8, arguments);
        writer.WriteEndObject();
        writer.WriteEndObject();
        writer.WriteEndArray();
    }

    private byte[] Chunk(Action<Utf8JsonWriter> writeDelta, string? finishReason = null) => Write(writer =>
    {
        writer.WriteStartArray("choices"u8);
        writer.WriteStartObject();
        writer.WriteNumber("index"u8, 0);
        writer.WriteStartObject("delta"u8);
        writeDelta(writer);
        writer.WriteEndObject();
        writer.WriteNull("logprobs"u8);
        if (finishReason is null)
        {
            writer.WriteNull("finish_reason"u8);
        }
        else
        {
            writer.WriteString("finish_reason"u8, finishReason);
        }

        writer.WriteEndObject();
        writer.WriteEndArray();
    });

    private byte[] UsageChunk() => Write(writer =>
    {
        writer.WriteStartArray("choices"u8);
        writer.WriteEndArray();
        AnthropicResponseTranslator.WriteUsage(writer, _usage);
    });

    private byte[] Write(Action<Utf8JsonWriter> writeBody)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("id"u8, _id);
            writer.WriteString("object"u8, "chat.completion.chunk"u8);
            writer.WriteNumber("created"u8, created);
            writer.WriteString("model"u8, _model);
            writeBody(writer);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
