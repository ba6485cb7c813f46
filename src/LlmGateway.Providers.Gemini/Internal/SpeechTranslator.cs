using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;

namespace LlmGateway.Gemini.Internal;

/// <summary>
/// <c>POST /v1/audio/speech</c> with a Gemini TTS model → <c>generateContent</c> with the AUDIO response modality and
/// a prebuilt voice. Gemini answers 24 kHz 16-bit mono PCM; the gateway answers <c>wav</c> (the default for Gemini
/// models, since it cannot encode mp3) or raw <c>pcm</c>, and refuses the other formats with a 400 naming
/// <c>response_format</c>.
/// </summary>
internal static class SpeechTranslator
{
    /// <summary>OpenAI's voice names, mapped to Gemini prebuilt voices of a similar character; any other name is sent
    /// as it is, so Gemini's own voice names (Kore, Puck, …) work directly.</summary>
    private static readonly Dictionary<string, string> s_voices = new(StringComparer.OrdinalIgnoreCase)
    {
        ["alloy"] = "Kore",
        ["ash"] = "Orus",
        ["ballad"] = "Algieba",
        ["coral"] = "Aoede",
        ["echo"] = "Charon",
        ["fable"] = "Puck",
        ["onyx"] = "Fenrir",
        ["nova"] = "Leda",
        ["sage"] = "Iapetus",
        ["shimmer"] = "Zephyr",
        ["verse"] = "Enceladus",
        ["marin"] = "Callirrhoe",
        ["cedar"] = "Schedar",
    };

    public static TranslatedSpeechRequest Translate(ReadOnlyMemory<byte> body)
    {
        using var document = JsonDocument.Parse(body);
        var root = document.RootElement;
        var input = root.GetProperty("input").GetString()!;
        var voice = root.GetProperty("voice").GetString()!;
        var format = root.TryGetProperty("response_format", out var f) && f.ValueKind == JsonValueKind.String ? f.GetString()! : "wav";
        if (format is not ("wav" or "pcm"))
        {
            return new TranslatedSpeechRequest(new GatewayError(
                GatewayErrorKind.InvalidRequest,
                $"response_format '{format}' is not supported for Gemini speech models, which produce PCM audio; use 'wav' or 'pcm'.",
                "response_format")
            { Code = "unsupported_parameter" });
        }

        if (root.TryGetProperty("speed", out var speed) && speed.ValueKind == JsonValueKind.Number && Math.Abs(speed.GetDouble() - 1.0) > 1e-9)
        {
            return new TranslatedSpeechRequest(new GatewayError(
                GatewayErrorKind.InvalidRequest,
                "'speed' is not supported for Gemini speech models; describe the pace in 'instructions' instead (e.g. \"Speak slowly\").",
                "speed")
            { Code = "unsupported_parameter" });
        }

        var instructions = root.TryGetProperty("instructions", out var i) && i.ValueKind == JsonValueKind.String ? i.GetString() : null;
        var text = string.IsNullOrWhiteSpace(instructions) ? input : $"{instructions.Trim()}: {input}";
        var buffer = new ArrayBufferWriter<byte>(256 + text.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("contents");
            writer.WriteStartObject();
            writer.WriteString("role", "user");
            writer.WriteStartArray("parts");
            writer.WriteStartObject();
            writer.WriteString("text", text);
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteStartObject("generationConfig");
            writer.WriteStartArray("responseModalities");
            writer.WriteStringValue("AUDIO");
            writer.WriteEndArray();
            writer.WriteStartObject("speechConfig");
            writer.WriteStartObject("voiceConfig");
            writer.WriteStartObject("prebuiltVoiceConfig");
            writer.WriteString("voiceName", s_voices.GetValueOrDefault(voice, voice));
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return new TranslatedSpeechRequest(buffer.WrittenSpan.ToArray(), format);
    }

    /// <summary>The audio of the first candidate as the asked format, or null when there is none.</summary>
    public static (byte[] Audio, string ContentType)? TranslateResponse(JsonElement response, string format)
    {
        if (!response.TryGetProperty("candidates", out var candidates) || candidates.ValueKind != JsonValueKind.Array || candidates.GetArrayLength() == 0
            || !candidates[0].TryGetProperty("content", out var content) || !content.TryGetProperty("parts", out var parts))
        {
            return null;
        }

        foreach (var part in parts.EnumerateArray())
        {
            if (part.TryGetProperty("inlineData", out var data) && data.TryGetProperty("data", out var base64))
            {
                var pcm = base64.GetBytesFromBase64();
                var mime = data.TryGetProperty("mimeType", out var m) ? m.GetString() ?? string.Empty : string.Empty;
                var rate = SampleRate(mime);
                return format == "pcm" ? (pcm, "audio/pcm") : (Wav(pcm, rate), "audio/wav");
            }
        }

        return null;
    }

    /// <summary>The rate in a mime type such as <c>audio/L16;codec=pcm;rate=24000</c>; 24 kHz when it says none.</summary>
    internal static int SampleRate(string mimeType)
    {
        foreach (var parameter in mimeType.Split(';', StringSplitOptions.TrimEntries))
        {
            if (parameter.StartsWith("rate=", StringComparison.OrdinalIgnoreCase)
                && int.TryParse(parameter.AsSpan(5), NumberStyles.Integer, CultureInfo.InvariantCulture, out var rate) && rate > 0)
            {
                return rate;
            }
        }

        return 24000;
    }

    /// <summary>Wraps 16-bit mono little-endian PCM in a RIFF/WAVE header.</summary>
    internal static byte[] Wav(ReadOnlySpan<byte> pcm, int sampleRate)
    {
        const short channels = 1;
        const short bitsPerSample = 16;
        var wav = new byte[44 + pcm.Length];
        var span = wav.AsSpan();
        "RIFF"u8.CopyTo(span);
        BinaryPrimitives.WriteInt32LittleEndian(span[4..], 36 + pcm.Length);
        "WAVE"u8.CopyTo(span[8..]);
        "fmt "u8.CopyTo(span[12..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[16..], 16);
        BinaryPrimitives.WriteInt16LittleEndian(span[20..], 1); // PCM
        BinaryPrimitives.WriteInt16LittleEndian(span[22..], channels);
        BinaryPrimitives.WriteInt32LittleEndian(span[24..], sampleRate);
        BinaryPrimitives.WriteInt32LittleEndian(span[28..], sampleRate * channels * bitsPerSample / 8);
        BinaryPrimitives.WriteInt16LittleEndian(span[32..], channels * bitsPerSample / 8);
        BinaryPrimitives.WriteInt16LittleEndian(span[34..], bitsPerSample);
        "data"u8.CopyTo(span[36..]);
        BinaryPrimitives.WriteInt32LittleEndian(span[40..], pcm.Length);
        pcm.CopyTo(span[44..]);
        return wav;
    }
}

internal sealed class TranslatedSpeechRequest
{
    public TranslatedSpeechRequest(GatewayError error)
    {
        Error = error;
        Body = [];
        Format = string.Empty;
    }

    public TranslatedSpeechRequest(byte[] body, string format)
    {
        Body = body;
        Format = format;
    }

    public GatewayError? Error { get; }

    public byte[] Body { get; }

    public string Format { get; }
}
