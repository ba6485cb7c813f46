using System.Text.Json;

namespace LlmGateway.Gemini.Internal;

/// <summary>One Gemini content part, as the request translator builds it before writing.</summary>
internal sealed class Part
{
    private readonly Action<Utf8JsonWriter> _write;

    private Part(Action<Utf8JsonWriter> write, int responseOrder = -1)
    {
        _write = write;
        ResponseOrder = responseOrder;
    }

    /// <summary>Gets, for a function response, the position of the call it answers in its model turn; else -1.</summary>
    public int ResponseOrder { get; }

    public static Part Text(string text) => new(w => w.WriteString("text", text));

    public static Part InlineData(string mimeType, string base64) => new(w =>
    {
        w.WriteStartObject("inlineData");
        w.WriteString("mimeType", mimeType);
        w.WriteString("data", base64);
        w.WriteEndObject();
    });

    public static Part FileData(string? mimeType, string uri) => new(w =>
    {
        w.WriteStartObject("fileData");
        if (mimeType is not null)
        {
            w.WriteString("mimeType", mimeType);
        }

        w.WriteString("fileUri", uri);
        w.WriteEndObject();
    });

    public static Part FunctionCall(string name, JsonElement? args, string? thoughtSignature) => new(w =>
    {
        w.WriteStartObject("functionCall");
        w.WriteString("name", name);
        w.WritePropertyName("args");
        if (args is { ValueKind: JsonValueKind.Object } value)
        {
            value.WriteTo(w);
        }
        else
        {
            w.WriteStartObject();
            w.WriteEndObject();
        }

        w.WriteEndObject();
        if (thoughtSignature is not null)
        {
            w.WriteString("thoughtSignature", thoughtSignature);
        }
    });

    /// <summary>A tool result: its JSON object as the response, or text wrapped as <c>{"result": text}</c>.</summary>
    public static Part FunctionResponse(string name, JsonElement? response, string text, int order) => new(
        w =>
        {
            w.WriteStartObject("functionResponse");
            w.WriteString("name", name);
            w.WritePropertyName("response");
            if (response is { ValueKind: JsonValueKind.Object } value)
            {
                value.WriteTo(w);
            }
            else
            {
                w.WriteStartObject();
                w.WriteString("result", text);
                w.WriteEndObject();
            }

            w.WriteEndObject();
        },
        order);

    public void Write(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        _write(writer);
        writer.WriteEndObject();
    }
}
