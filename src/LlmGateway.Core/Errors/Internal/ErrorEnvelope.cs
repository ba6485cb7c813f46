using System.Buffers;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace LlmGateway.Internal;

/// <summary>Writes the OpenAI error envelope.</summary>
internal static class ErrorEnvelope
{
    // Messages quote names ('model'); the relaxed encoder keeps them readable. The body is always served as
    // application/json, never embedded in HTML, so HTML-sensitive characters need no escaping.
    private static readonly JsonWriterOptions s_writerOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Writes <c>{"error":{"message","type","param","code"}}</c>: always the gateway's own envelope, never an
    /// upstream's body as it came.</summary>
    public static void Write(GatewayError error, IBufferWriter<byte> output)
    {
        using var writer = new Utf8JsonWriter(output, s_writerOptions);
        writer.WriteStartObject();
        writer.WriteStartObject("error"u8);
        writer.WriteString("message"u8, error.Message);
        writer.WriteString("type"u8, error.Type);
        WriteStringOrNull(writer, "param"u8, error.Param);
        WriteStringOrNull(writer, "code"u8, error.Code);
        writer.WriteEndObject();
        writer.WriteEndObject();
    }

    /// <summary>The Responses API's stream error event data: <c>{"type":"error","code","message","param"}</c>.</summary>
    public static byte[] ToResponsesErrorEvent(GatewayError error)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, s_writerOptions))
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "error"u8);
            WriteStringOrNull(writer, "code"u8, error.Code);
            writer.WriteString("message"u8, error.Message);
            WriteStringOrNull(writer, "param"u8, error.Param);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] ToBytes(GatewayError error)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        Write(error, buffer);
        return buffer.WrittenSpan.ToArray();
    }

    private static void WriteStringOrNull(Utf8JsonWriter writer, ReadOnlySpan<byte> name, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(name);
        }
        else
        {
            writer.WriteString(name, value);
        }
    }
}
