using System.Text.Json;

namespace LlmGateway.OpenAI.Internal;

/// <summary>What the OpenAI provider checks and rebuilds in an upstream's answer before it reaches the client.</summary>
internal static class ResponsesFailures
{
    /// <summary>
    /// A Responses API stream's own failure event, rebuilt before it reaches the client: an <c>error</c> event keeps its
    /// <c>type</c>, <c>code</c>, <c>param</c> and <c>sequence_number</c> with its message masked (fields the gateway does
    /// not know are dropped); a <c>response.failed</c> event keeps its response object with
    /// <c>response.error.message</c> masked. Any other event, or one that is not JSON, is returned as it is.
    /// </summary>
    public static ReadOnlyMemory<byte> Rebuild(ReadOnlyMemory<byte> data, string? eventType)
    {
        System.Text.Json.Nodes.JsonObject? root;
        try
        {
            root = System.Text.Json.Nodes.JsonNode.Parse(data.Span) as System.Text.Json.Nodes.JsonObject;
        }
        catch (JsonException)
        {
            return data;
        }

        var type = eventType ?? (root?["type"] is System.Text.Json.Nodes.JsonValue t && t.TryGetValue<string>(out var named) ? named : null);
        if (root is null || type is not ("error" or "response.failed"))
        {
            return data;
        }

        if (type == "error")
        {
            var rebuilt = new System.Text.Json.Nodes.JsonObject { ["type"] = "error" };
            foreach (var name in (ReadOnlySpan<string>)["code", "message", "param"])
            {
                rebuilt[name] = root[name] is System.Text.Json.Nodes.JsonValue value && value.TryGetValue<string>(out var text)
                    ? UpstreamRequests.MaskSecrets(text, name == "message" ? 1000 : 200)
                    : null;
            }

            if (root["sequence_number"] is System.Text.Json.Nodes.JsonValue sequence && sequence.TryGetValue<long>(out var number))
            {
                rebuilt["sequence_number"] = number;
            }

            return Serialize(rebuilt);
        }

        if (root["response"]?["error"] is System.Text.Json.Nodes.JsonObject error
            && error["message"] is System.Text.Json.Nodes.JsonValue message && message.TryGetValue<string>(out var said))
        {
            error["message"] = UpstreamRequests.MaskSecrets(said);
            return Serialize(root);
        }

        return data;
    }

    private static byte[] Serialize(System.Text.Json.Nodes.JsonNode node)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            node.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Whether <paramref name="body"/> is one complete JSON object; a forward pass, no DOM.</summary>
    public static bool IsJsonObject(ReadOnlySpan<byte> body)
    {
        try
        {
            var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            reader.Skip();
            return !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
