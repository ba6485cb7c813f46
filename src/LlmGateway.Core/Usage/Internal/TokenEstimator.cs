using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace LlmGateway.Internal;

/// <summary>
/// Estimates a request's prompt tokens before the call, for token rate limits (Microsoft.ML.Tokenizers, o200k_base:
/// exact for current OpenAI models, an estimate for Gemini). The output budget a request asks for is read, and
/// validated, by <see cref="RequestPeek"/>.
/// </summary>
/// <remarks>
/// <para>The rules follow OpenAI's own counting recipe where there is one, and err upwards where there is none:</para>
/// <list type="bullet">
/// <item>Chat: 3 tokens per message, plus the tokens of the text in it (<c>role</c>, <c>content</c> as a string or
/// its parts' <c>text</c>, <c>name</c>, a tool call's function <c>name</c> and <c>arguments</c>, <c>tool_call_id</c>,
/// <c>refusal</c>), plus 3 for priming the reply. <c>tools</c> (and the older <c>functions</c>) count as the tokens of
/// their raw JSON text, a little more than the model sees.</item>
/// <item>An <c>image_url</c> part counts a fixed <see cref="ImageTokens"/> (a low-detail image; a high-detail one costs
/// more, which only the image's size tells); audio (<c>input_audio</c>) and <c>file</c> parts count 0.</item>
/// <item>Embeddings: the <c>input</c> string or strings; an input given as token ids counts one per id.</item>
/// <item>Responses: <c>instructions</c>, <c>input</c> (a string, or the text of its items, as for chat but with no
/// per-item overhead, plus a function call's <c>output</c>), and <c>tools</c> as raw JSON.</item>
/// <item>Other operations: 0.</item>
/// </list>
/// <para>Strings are counted where they lie in the body (unescaped into a stack or pooled buffer), never joined into
/// one big string. Malformed JSON counts 0 (the request is rejected as invalid elsewhere); this never throws.</para>
/// </remarks>
internal sealed class TokenEstimator
{
    /// <summary>Tokens counted for an image part: OpenAI's base cost of an image (all of a low-detail one).</summary>
    public const int ImageTokens = 85;

    /// <summary>Tokens OpenAI's format adds around each chat message.</summary>
    public const int TokensPerMessage = 3;

    /// <summary>Tokens that prime the assistant's reply, once per chat request.</summary>
    public const int ReplyPrimingTokens = 3;

    private const int StackChars = 256;

    // Loading the encoding's vocabulary takes a moment and some memory: once per process, on first use. The tokenizer
    // is thread-safe.
    private static readonly Lazy<Tokenizer> s_o200kBase =
        new(static () => TiktokenTokenizer.CreateForEncoding("o200k_base"), LazyThreadSafetyMode.ExecutionAndPublication);

    private readonly Lazy<Tokenizer> _tokenizer = s_o200kBase;

    /// <summary>Estimated tokens of a piece of generated text (a stream cut before its usage came).</summary>
    public static int EstimateTextTokens(ReadOnlySpan<char> text) => text.IsEmpty ? 0 : s_o200kBase.Value.CountTokens(text);

    /// <summary>Estimated prompt tokens of an OpenAI-format body: chat (<c>messages</c>, <c>tools</c>), embeddings
    /// (<c>input</c>), Responses (<c>input</c>, <c>instructions</c>, <c>tools</c>); 0 for other operations.</summary>
    public int EstimatePromptTokens(ReadOnlySpan<byte> body, GatewayOperation operation)
    {
        if (operation is not (GatewayOperation.ChatCompletions or GatewayOperation.Embeddings or GatewayOperation.Responses))
        {
            return 0;
        }

        long count = 0;
        try
        {
            var reader = new Utf8JsonReader(body, RequestJson.ReaderOptions);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                CountTopLevel(_tokenizer.Value, body, ref reader, operation, ref count);
            }
        }
        catch (JsonException)
        {
            // The request is rejected as invalid JSON before any limit applies.
            return 0;
        }

        return (int)Math.Min(count, int.MaxValue);
    }

    private static void CountTopLevel(Tokenizer tokenizer, ReadOnlySpan<byte> body, ref Utf8JsonReader reader, GatewayOperation operation, ref long count)
    {
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            switch (operation)
            {
                case GatewayOperation.ChatCompletions when reader.ValueTextEquals("messages"u8):
                    reader.Read();
                    count += CountMessages(tokenizer, ref reader);
                    break;
                case GatewayOperation.ChatCompletions when reader.ValueTextEquals("tools"u8) || reader.ValueTextEquals("functions"u8):
                case GatewayOperation.Responses when reader.ValueTextEquals("tools"u8):
                    reader.Read();
                    count += CountRaw(tokenizer, body, ref reader);
                    break;
                case GatewayOperation.Embeddings when reader.ValueTextEquals("input"u8):
                    reader.Read();
                    count += CountEmbeddingsInput(tokenizer, ref reader);
                    break;
                case GatewayOperation.Responses when reader.ValueTextEquals("instructions"u8):
                    reader.Read();
                    count += reader.TokenType == JsonTokenType.String ? CountString(tokenizer, ref reader) : 0;
                    reader.Skip();
                    break;
                case GatewayOperation.Responses when reader.ValueTextEquals("input"u8):
                    reader.Read();
                    count += reader.TokenType switch
                    {
                        JsonTokenType.String => CountString(tokenizer, ref reader),
                        JsonTokenType.StartArray => CountText(tokenizer, ref reader),
                        _ => 0,
                    };
                    reader.Skip();
                    break;
                default:
                    reader.Read();
                    reader.Skip();
                    break;
            }
        }
    }

    /// <summary>The reader is on <c>messages</c>' value; leaves it on the value's end.</summary>
    private static long CountMessages(Tokenizer tokenizer, ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.Skip();
            return 0;
        }

        long count = 0;
        var messages = 0;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                messages++;
                count += TokensPerMessage + CountText(tokenizer, ref reader);
            }
            else
            {
                reader.Skip();
            }
        }

        return messages == 0 ? 0 : count + ReplyPrimingTokens;
    }

    /// <summary>The tokens of the text a model reads in the object or array the reader is on (see the class remarks);
    /// leaves the reader on its end.</summary>
    private static long CountText(Tokenizer tokenizer, ref Utf8JsonReader reader)
    {
        long count = 0;
        var depth = reader.CurrentDepth;
        while (reader.Read())
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.EndObject or JsonTokenType.EndArray when reader.CurrentDepth == depth:
                    return count;
                case JsonTokenType.PropertyName:
                    if (reader.ValueTextEquals("image_url"u8))
                    {
                        count += ImageTokens;
                        reader.Read();
                        reader.Skip();
                    }
                    else if (reader.ValueTextEquals("input_audio"u8) || reader.ValueTextEquals("file"u8))
                    {
                        reader.Read();
                        reader.Skip();
                    }
                    else if (IsTextMember(ref reader))
                    {
                        // A string is counted; an object or array (content parts, a function) is walked into.
                        reader.Read();
                        if (reader.TokenType == JsonTokenType.String)
                        {
                            count += CountString(tokenizer, ref reader);
                        }
                    }
                    else
                    {
                        // Other strings (type, id, detail) are not text; containers (tool_calls, function) are walked into.
                        reader.Read();
                    }

                    break;
            }
        }

        return count;
    }

    private static bool IsTextMember(ref Utf8JsonReader reader) =>
        reader.ValueTextEquals("content"u8) || reader.ValueTextEquals("text"u8) || reader.ValueTextEquals("role"u8)
        || reader.ValueTextEquals("name"u8) || reader.ValueTextEquals("arguments"u8)
        || reader.ValueTextEquals("tool_call_id"u8) || reader.ValueTextEquals("refusal"u8)
        || reader.ValueTextEquals("output"u8);

    /// <summary>Embeddings <c>input</c>: a string, strings, token ids, or arrays of token ids.</summary>
    private static long CountEmbeddingsInput(Tokenizer tokenizer, ref Utf8JsonReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return CountString(tokenizer, ref reader);
            case JsonTokenType.StartArray:
                long count = 0;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    switch (reader.TokenType)
                    {
                        case JsonTokenType.String:
                            count += CountString(tokenizer, ref reader);
                            break;
                        case JsonTokenType.Number:
                            count++;
                            break;
                        case JsonTokenType.StartArray:
                            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                            {
                                count += reader.TokenType == JsonTokenType.Number ? 1 : 0;
                                reader.Skip();
                            }

                            break;
                        default:
                            reader.Skip();
                            break;
                    }
                }

                return count;
            default:
                reader.Skip();
                return 0;
        }
    }

    /// <summary>The tokens of the raw JSON text of the array or object the reader is on; leaves the reader on its end.</summary>
    private static long CountRaw(Tokenizer tokenizer, ReadOnlySpan<byte> body, ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.StartObject))
        {
            reader.Skip();
            return 0;
        }

        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        var raw = body[start..(int)reader.BytesConsumed];
        var rented = ArrayPool<char>.Shared.Rent(raw.Length);
        try
        {
            var length = Encoding.UTF8.GetChars(raw, rented);
            return tokenizer.CountTokens(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }

    /// <summary>The tokens of the string the reader is on, unescaped.</summary>
    private static long CountString(Tokenizer tokenizer, ref Utf8JsonReader reader)
    {
        // The escaped UTF-8 length bounds the unescaped UTF-16 length (a span body never gives a sequence).
        var bound = reader.ValueSpan.Length;
        if (bound == 0)
        {
            return 0;
        }

        if (bound <= StackChars)
        {
            Span<char> buffer = stackalloc char[StackChars];
            var length = reader.CopyString(buffer);
            return tokenizer.CountTokens(buffer[..length]);
        }

        var rented = ArrayPool<char>.Shared.Rent(bound);
        try
        {
            var length = reader.CopyString(rented);
            return tokenizer.CountTokens(rented.AsSpan(0, length));
        }
        finally
        {
            ArrayPool<char>.Shared.Return(rented);
        }
    }
}
