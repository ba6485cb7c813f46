using System.Text.Json;

namespace LlmGateway.Internal;

internal static class JsonValidation
{
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
