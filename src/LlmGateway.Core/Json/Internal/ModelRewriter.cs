using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>
/// Replaces the <c>model</c> value in a request body, copying every other byte unchanged: the body is not
/// re-serialised, so fields the gateway has never heard of reach the upstream exactly as the client sent them.
/// </summary>
internal static class ModelRewriter
{
    /// <summary>
    /// Replaces the model and drops the gateway's own <c>fallbacks</c> field: a rewrite of the top level (nested
    /// values are copied as they are), done only for requests that carry <c>fallbacks</c>.
    /// </summary>
    public static byte[] RewriteWithoutFallbacks(ReadOnlyMemory<byte> body, string newModel)
    {
        using var document = JsonDocument.Parse(body);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(body.Length);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (property.NameEquals("model"u8))
                {
                    writer.WriteString("model"u8, newModel);
                }
                else if (!property.NameEquals("fallbacks"u8))
                {
                    property.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Replaces the raw text of a multipart field (no quotes, no escaping).</summary>
    public static byte[] RewriteRaw(ReadOnlySpan<byte> body, int start, int length, string newValue)
    {
        var value = System.Text.Encoding.UTF8.GetBytes(newValue);
        var result = new byte[body.Length - length + value.Length];
        body[..start].CopyTo(result);
        value.CopyTo(result.AsSpan(start));
        body[(start + length)..].CopyTo(result.AsSpan(start + value.Length));
        return result;
    }

    public static byte[] Rewrite(ReadOnlySpan<byte> body, int modelStart, int modelLength, string newModel)
    {
        var encoded = JsonEncodedText.Encode(newModel, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes;
        var result = new byte[body.Length - modelLength + encoded.Length + 2];
        var span = result.AsSpan();
        body[..modelStart].CopyTo(span);
        span = span[modelStart..];
        span[0] = (byte)'"';
        encoded.CopyTo(span[1..]);
        span[encoded.Length + 1] = (byte)'"';
        body[(modelStart + modelLength)..].CopyTo(span[(encoded.Length + 2)..]);
        return result;
    }

    /// <summary>
    /// Sets <c>stream_options.include_usage</c> to true, so a stream reports its usage for accounting. A body without
    /// <c>stream_options</c> gets the member inserted at the front, every other byte copied unchanged; one with it gets
    /// its top level rewritten (nested values copied as they are), keeping the other stream options.
    /// </summary>
    public static byte[] WithIncludeUsage(ReadOnlyMemory<byte> body, bool hasStreamOptions)
    {
        if (!hasStreamOptions)
        {
            var span = body.Span;
            var open = span.IndexOf((byte)'{');
            var member = "\"stream_options\":{\"include_usage\":true}"u8;
            var rest = span[(open + 1)..];
            var isEmpty = rest.Trim(" \t\r\n"u8).Length == 1; // only the closing brace
            var result = new byte[span.Length + member.Length + (isEmpty ? 0 : 1)];
            span[..(open + 1)].CopyTo(result);
            member.CopyTo(result.AsSpan(open + 1));
            var at = open + 1 + member.Length;
            if (!isEmpty)
            {
                result[at++] = (byte)',';
            }

            rest.CopyTo(result.AsSpan(at));
            return result;
        }

        using var document = JsonDocument.Parse(body);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(body.Length + 32);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            writer.WriteStartObject();
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!property.NameEquals("stream_options"u8))
                {
                    property.WriteTo(writer);
                    continue;
                }

                writer.WriteStartObject("stream_options"u8);
                if (property.Value.ValueKind == JsonValueKind.Object)
                {
                    foreach (var option in property.Value.EnumerateObject())
                    {
                        if (!option.NameEquals("include_usage"u8))
                        {
                            option.WriteTo(writer);
                        }
                    }
                }

                writer.WriteBoolean("include_usage"u8, true);
                writer.WriteEndObject();
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }
}
