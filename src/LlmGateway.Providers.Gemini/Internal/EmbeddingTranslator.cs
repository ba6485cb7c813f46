using System.Buffers;
using System.Buffers.Binary;
using System.Text.Json;

namespace LlmGateway.Gemini.Internal;

/// <summary>
/// OpenAI embeddings ↔ Gemini: a string → <c>embedContent</c>, a list of strings → <c>batchEmbedContents</c>,
/// <c>dimensions</c> → <c>outputDimensionality</c>; the answer in OpenAI's shape, as floats or as base64 of
/// little-endian float32 (what the official OpenAI SDKs ask for by default).
/// </summary>
internal static class EmbeddingTranslator
{
    public static TranslatedEmbeddingRequest Translate(ReadOnlyMemory<byte> body, string model)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var input = root.GetProperty("input");
        int? dimensions = null;
        if (root.TryGetProperty("dimensions", out var d) && d.ValueKind != JsonValueKind.Null)
        {
            if (!d.TryGetInt32(out var value) || value < 1)
            {
                return new TranslatedEmbeddingRequest(new GatewayError(GatewayErrorKind.InvalidRequest, "'dimensions' must be a positive integer.", "dimensions"));
            }

            dimensions = value;
        }

        var base64 = false;
        if (root.TryGetProperty("encoding_format", out var format) && format.ValueKind == JsonValueKind.String)
        {
            bool? chosen = format.GetString() switch
            {
                "base64" => true,
                "float" => false,
                _ => null,
            };
            if (chosen is null)
            {
                return new TranslatedEmbeddingRequest(new GatewayError(GatewayErrorKind.InvalidRequest, "'encoding_format' must be 'float' or 'base64'.", "encoding_format"));
            }

            base64 = chosen.Value;
        }

        var texts = new List<string>();
        if (input.ValueKind == JsonValueKind.String)
        {
            texts.Add(input.GetString()!);
        }
        else
        {
            foreach (var item in input.EnumerateArray())
            {
                if (item.ValueKind != JsonValueKind.String)
                {
                    return new TranslatedEmbeddingRequest(new GatewayError(
                        GatewayErrorKind.InvalidRequest,
                        "'input' as token ids is not supported for Gemini models; send text.",
                        "input"));
                }

                texts.Add(item.GetString()!);
            }
        }

        if (texts.Count == 0)
        {
            return new TranslatedEmbeddingRequest(new GatewayError(GatewayErrorKind.InvalidRequest, "'input' must not be empty.", "input"));
        }

        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (input.ValueKind == JsonValueKind.String)
            {
                WriteRequest(writer, texts[0], dimensions, modelName: null);
            }
            else
            {
                writer.WriteStartArray("requests");
                foreach (var text in texts)
                {
                    writer.WriteStartObject();
                    WriteRequest(writer, text, dimensions, "models/" + model);
                    writer.WriteEndObject();
                }

                writer.WriteEndArray();
            }

            writer.WriteEndObject();
        }

        return new TranslatedEmbeddingRequest(buffer.WrittenSpan.ToArray(), batch: input.ValueKind != JsonValueKind.String, base64);
    }

    public static byte[]? TranslateResponse(JsonElement response, string model, bool base64)
    {
        var vectors = new List<JsonElement>();
        if (response.TryGetProperty("embedding", out var single) && single.TryGetProperty("values", out var values))
        {
            vectors.Add(values);
        }
        else if (response.TryGetProperty("embeddings", out var many) && many.ValueKind == JsonValueKind.Array)
        {
            foreach (var embedding in many.EnumerateArray())
            {
                if (!embedding.TryGetProperty("values", out var v))
                {
                    return null;
                }

                vectors.Add(v);
            }
        }
        else
        {
            return null;
        }

        var tokens = response.TryGetProperty("usageMetadata", out var usage) && usage.TryGetProperty("promptTokenCount", out var p) && p.TryGetInt32(out var count) ? count : 0;
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("object", "list");
            writer.WriteStartArray("data");
            for (var i = 0; i < vectors.Count; i++)
            {
                writer.WriteStartObject();
                writer.WriteString("object", "embedding");
                writer.WriteNumber("index", i);
                writer.WritePropertyName("embedding");
                if (base64)
                {
                    writer.WriteBase64StringValue(ToFloat32(vectors[i]));
                }
                else
                {
                    vectors[i].WriteTo(writer);
                }

                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteString("model", model);
            writer.WriteStartObject("usage");
            writer.WriteNumber("prompt_tokens", tokens);
            writer.WriteNumber("total_tokens", tokens);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static byte[] ToFloat32(JsonElement values)
    {
        var bytes = new byte[values.GetArrayLength() * sizeof(float)];
        var i = 0;
        foreach (var value in values.EnumerateArray())
        {
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i), value.GetSingle());
            i += sizeof(float);
        }

        return bytes;
    }

    private static void WriteRequest(Utf8JsonWriter writer, string text, int? dimensions, string? modelName)
    {
        if (modelName is not null)
        {
            writer.WriteString("model", modelName);
        }

        writer.WriteStartObject("content");
        writer.WriteStartArray("parts");
        writer.WriteStartObject();
        writer.WriteString("text", text);
        writer.WriteEndObject();
        writer.WriteEndArray();
        writer.WriteEndObject();
        if (dimensions is { } value)
        {
            writer.WriteNumber("outputDimensionality", value);
        }
    }
}

internal sealed class TranslatedEmbeddingRequest
{
    public TranslatedEmbeddingRequest(GatewayError error)
    {
        Error = error;
        Body = [];
    }

    public TranslatedEmbeddingRequest(byte[] body, bool batch, bool base64)
    {
        Body = body;
        Batch = batch;
        Base64 = base64;
    }

    public GatewayError? Error { get; }

    public byte[] Body { get; }

    public bool Batch { get; }

    public bool Base64 { get; }
}
