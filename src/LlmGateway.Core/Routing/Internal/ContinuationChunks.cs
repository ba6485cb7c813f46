using System.Buffers;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace LlmGateway.Internal;

/// <summary>
/// The JSON work of <see cref="StreamContinuation"/>: what a chat chunk on its way to the client says (read forward,
/// no DOM, since it runs on every chunk of a stream that may be continued), the prefilled request, and the
/// continuation's chunks rewritten into the caller's stream (a DOM: it runs only after a cut).
/// </summary>
internal static class ContinuationChunks
{
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Reads a chunk passed to the client: its identity (the first seen is kept), its first choice's index,
    /// its content text (appended to <paramref name="text"/>), and whether it makes the stream unsafe to continue.</summary>
    public static void Observe(ReadOnlySpan<byte> data, ChunkIdentity identity, StringBuilder text, ref ChunkFlags flags)
    {
        try
        {
            var reader = new Utf8JsonReader(data);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        identity.Id ??= reader.GetString();
                    }

                    reader.Skip();
                }
                else if (reader.ValueTextEquals("created"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && identity.Created is null && reader.TryGetInt64(out var created))
                    {
                        identity.Created = created;
                    }

                    reader.Skip();
                }
                else if (reader.ValueTextEquals("model"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        identity.Model ??= reader.GetString();
                    }

                    reader.Skip();
                }
                else if (reader.ValueTextEquals("choices"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartArray)
                    {
                        ObserveChoices(ref reader, identity, text, ref flags);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
        catch (JsonException)
        {
            // The reader passed only JSON objects; a chunk it cannot read is not one to continue from.
            flags |= ChunkFlags.Unsafe;
        }
    }

    private static void ObserveChoices(ref Utf8JsonReader reader, ChunkIdentity identity, StringBuilder text, ref ChunkFlags flags)
    {
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                reader.Skip();
                continue;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("index"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var index))
                    {
                        identity.Index ??= index;
                        if (identity.Index != index)
                        {
                            flags |= ChunkFlags.Unsafe; // several choices (n > 1)
                        }
                    }

                    reader.Skip();
                }
                else if (reader.ValueTextEquals("delta"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.StartObject)
                    {
                        ObserveDelta(ref reader, text, ref flags);
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("finish_reason"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.String)
                    {
                        flags |= ChunkFlags.Finished;
                    }

                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
            }
        }
    }

    private static void ObserveDelta(ref Utf8JsonReader reader, StringBuilder text, ref ChunkFlags flags)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            if (reader.ValueTextEquals("content"u8))
            {
                reader.Read();
                if (reader.TokenType == JsonTokenType.String)
                {
                    text.Append(reader.GetString());
                }

                reader.Skip();
            }
            else if (reader.ValueTextEquals("tool_calls"u8) || reader.ValueTextEquals("function_call"u8)
                || reader.ValueTextEquals("refusal"u8) || reader.ValueTextEquals("audio"u8))
            {
                // A started tool call, refusal or audio cannot be spliced from another answer.
                reader.Read();
                if (reader.TokenType != JsonTokenType.Null)
                {
                    flags |= ChunkFlags.Unsafe;
                }

                reader.Skip();
            }
            else
            {
                reader.Read();
                reader.Skip();
            }
        }
    }

    /// <summary>Whether a chat request asks for several choices (<c>n</c> above 1), whose streams interleave.</summary>
    public static bool AsksForSeveralChoices(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, RequestJson.ReaderOptions);
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var isN = reader.ValueTextEquals("n"u8);
                reader.Read();
                if (isN)
                {
                    return reader.TokenType == JsonTokenType.Number && (!reader.TryGetInt64(out var n) || n > 1);
                }

                reader.Skip();
            }
        }
        catch (JsonException)
        {
            return true; // not one to continue
        }

        return false;
    }

    /// <summary>The request with the text already delivered appended as a trailing assistant message, for a target
    /// that continues a prefill.</summary>
    /// <returns>The body; null when the request has no <c>messages</c> array to append to.</returns>
    public static byte[]? WithPrefill(ReadOnlyMemory<byte> body, string delivered)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(body.Span, documentOptions: new JsonDocumentOptions { MaxDepth = RequestJson.MaxDepth + 1 });
        }
        catch (JsonException)
        {
            return null;
        }

        if (root is not JsonObject request || request["messages"] is not JsonArray messages)
        {
            return null;
        }

        messages.Add(new JsonObject { ["role"] = "assistant", ["content"] = delivered });
        return Write(request);
    }

    /// <summary>Parses a continuation's chunk; null when it is not a JSON object.</summary>
    public static JsonObject? Parse(ReadOnlyMemory<byte> data)
    {
        try
        {
            return JsonNode.Parse(data.Span) as JsonObject;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A continuation's chunk as the caller's stream shows it: the caller's id, created and model, the
    /// caller's choice index, no role.</summary>
    public static byte[] Rewrite(JsonObject chunk, JsonObject choice, ChunkIdentity identity)
    {
        SetIdentity(chunk, identity);
        choice["index"] = identity.Index ?? 0;
        return Write(chunk);
    }

    /// <summary>The final usage chunk: the caller's identity, no choices, and the continuation's usage plus what the cut
    /// attempts are estimated to have used.</summary>
    /// <param name="held">The continuation's usage chunk with its usage taken out, or null when its usage came in a
    /// chunk with choices.</param>
    /// <param name="usage">The continuation's usage object, detached from its chunk.</param>
    /// <param name="identity">The caller's stream.</param>
    /// <param name="extraPrompt">The cut attempts' estimated prompt tokens.</param>
    /// <param name="extraCompletion">The cut attempts' estimated completion tokens.</param>
    public static byte[] Usage(JsonObject? held, JsonObject usage, ChunkIdentity identity, long extraPrompt, long extraCompletion)
    {
        held ??= new JsonObject { ["id"] = identity.Id, ["object"] = "chat.completion.chunk", ["created"] = identity.Created, ["model"] = identity.Model };
        SetIdentity(held, identity);
        held["choices"] = new JsonArray();
        var prompt = Count(usage, "prompt_tokens") + extraPrompt;
        var completion = Count(usage, "completion_tokens") + extraCompletion;
        var total = Count(usage, "total_tokens") is var reported and > 0 ? reported + extraPrompt + extraCompletion : prompt + completion;
        usage["prompt_tokens"] = prompt;
        usage["completion_tokens"] = completion;
        usage["total_tokens"] = total;
        held["usage"] = usage;
        return Write(held);
    }

    /// <summary>The text content of a continuation's delta, if it has any.</summary>
    public static string? Text(JsonObject? delta) =>
        delta?["content"] is JsonValue content && content.GetValueKind() == JsonValueKind.String ? content.GetValue<string>() : null;

    /// <summary>Whether a member is present and not null.</summary>
    public static bool Has(JsonObject? node, string name) =>
        node is not null && node.TryGetPropertyValue(name, out var value) && value is not null && value.GetValueKind() != JsonValueKind.Null;

    private static long Count(JsonObject usage, string name) =>
        usage[name] is JsonValue value && value.GetValueKind() == JsonValueKind.Number && value.TryGetValue<long>(out var count) ? count : 0;

    private static void SetIdentity(JsonObject chunk, ChunkIdentity identity)
    {
        if (identity.Id is { } id)
        {
            chunk["id"] = id;
        }

        if (identity.Created is { } created)
        {
            chunk["created"] = created;
        }

        if (identity.Model is { } model)
        {
            chunk["model"] = model;
        }
    }

    private static byte[] Write(JsonNode node)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>The identity of the caller's stream, as its first chunks showed it.</summary>
internal sealed class ChunkIdentity
{
    public string? Id { get; set; }

    public long? Created { get; set; }

    public string? Model { get; set; }

    public int? Index { get; set; }
}

/// <summary>What the chunks passed to the client so far tell about continuing the stream.</summary>
[Flags]
internal enum ChunkFlags
{
    None = 0,

    /// <summary>A finish reason reached the client: the answer is complete, there is nothing to continue.</summary>
    Finished = 1,

    /// <summary>A tool call, refusal or audio started, or several choices stream: not safe to continue.</summary>
    Unsafe = 2,
}
