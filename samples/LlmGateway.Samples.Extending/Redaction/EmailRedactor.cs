using System.Buffers;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace LlmGateway.Samples.Extending.Redaction;

/// <summary>
/// Replaces email addresses in prompts with <see cref="Placeholder"/> before they leave for a provider. Pure functions:
/// a request middleware stage calls <see cref="RedactChatRequest"/> on the body and passes the result on.
/// </summary>
internal static partial class EmailRedactor
{
    /// <summary>What an address is replaced with.</summary>
    public const string Placeholder = "[email]";

    /// <summary>Replaces every email address in a text.</summary>
    public static string Redact(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Email().Replace(text, Placeholder);
    }

    /// <summary>
    /// Redacts the text of every message of an OpenAI chat completions body (string content and <c>text</c> parts);
    /// every other member is copied as it is. Returns the body itself when nothing needed redacting.
    /// </summary>
    /// <exception cref="JsonException">The body is not JSON.</exception>
    public static ReadOnlyMemory<byte> RedactChatRequest(ReadOnlyMemory<byte> body)
    {
        using var document = JsonDocument.Parse(body);
        if (!document.RootElement.TryGetProperty("messages", out var messages) || messages.ValueKind != JsonValueKind.Array
            || !messages.EnumerateArray().Any(static m => Texts(m).Any(static t => Email().IsMatch(t))))
        {
            return body;
        }

        var buffer = new ArrayBufferWriter<byte>(body.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach (var member in document.RootElement.EnumerateObject())
            {
                if (member.NameEquals("messages"u8))
                {
                    writer.WriteStartArray("messages"u8);
                    foreach (var message in member.Value.EnumerateArray())
                    {
                        WriteMessage(message, writer);
                    }

                    writer.WriteEndArray();
                }
                else
                {
                    member.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenMemory;
    }

    private static void WriteMessage(JsonElement message, Utf8JsonWriter writer)
    {
        if (message.ValueKind != JsonValueKind.Object)
        {
            message.WriteTo(writer);
            return;
        }

        writer.WriteStartObject();
        foreach (var member in message.EnumerateObject())
        {
            if (!member.NameEquals("content"u8))
            {
                member.WriteTo(writer);
            }
            else if (member.Value.ValueKind == JsonValueKind.String)
            {
                writer.WriteString("content"u8, Redact(member.Value.GetString()!));
            }
            else if (member.Value.ValueKind == JsonValueKind.Array)
            {
                writer.WriteStartArray("content"u8);
                foreach (var part in member.Value.EnumerateArray())
                {
                    WritePart(part, writer);
                }

                writer.WriteEndArray();
            }
            else
            {
                member.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    private static void WritePart(JsonElement part, Utf8JsonWriter writer)
    {
        if (part.ValueKind != JsonValueKind.Object || !part.TryGetProperty("text", out var text) || text.ValueKind != JsonValueKind.String)
        {
            part.WriteTo(writer);
            return;
        }

        writer.WriteStartObject();
        foreach (var member in part.EnumerateObject())
        {
            if (member.NameEquals("text"u8))
            {
                writer.WriteString("text"u8, Redact(text.GetString()!));
            }
            else
            {
                member.WriteTo(writer);
            }
        }

        writer.WriteEndObject();
    }

    private static IEnumerable<string> Texts(JsonElement message)
    {
        if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("content", out var content))
        {
            yield break;
        }

        if (content.ValueKind == JsonValueKind.String)
        {
            yield return content.GetString()!;
        }
        else if (content.ValueKind == JsonValueKind.Array)
        {
            foreach (var part in content.EnumerateArray())
            {
                if (part.ValueKind == JsonValueKind.Object && part.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String)
                {
                    yield return text.GetString()!;
                }
            }
        }
    }

    // A local part of the usual characters, an @, and a domain with at least one dot and a letters-only top level.
    [GeneratedRegex(@"[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 1000)]
    private static partial Regex Email();
}
