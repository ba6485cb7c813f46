using System.Text.Json;

namespace LlmGateway.Gemini.Internal;

/// <summary>
/// OpenAI content parts → Gemini parts: text; <c>image_url</c> with a data URL → inlineData; <c>gs://</c> and Gemini
/// file URIs → fileData; <c>input_audio</c> → inlineData; <c>file</c> (PDF and other documents) → inlineData or
/// fileData.
/// </summary>
/// <remarks>
/// An image given by an ordinary http(s) URL is refused with a 400 saying why: fetching arbitrary URLs from the
/// gateway's network is a server-side request forgery risk (it can reach internal services), and Gemini does not
/// fetch them itself. Clients send the image inline as a data URL, or upload it to the Gemini Files API first.
/// </remarks>
internal static class ContentPartTranslator
{
    private const string GeminiFilesPrefix = "https://generativelanguage.googleapis.com/";

    public static Part? Translate(JsonElement item, string path, out GatewayError? error)
    {
        error = null;
        var type = item.ValueKind == JsonValueKind.Object && item.TryGetProperty("type", out var t) ? t.GetString() : null;
        switch (type)
        {
            case "text":
                return item.TryGetProperty("text", out var text) && text.ValueKind == JsonValueKind.String
                    ? Part.Text(text.GetString()!)
                    : Fail(out error, path + ".text", "needs a 'text' string");
            case "refusal":
                return item.TryGetProperty("refusal", out var refusal) && refusal.ValueKind == JsonValueKind.String ? Part.Text(refusal.GetString()!) : null;
            case "image_url":
                var url = item.TryGetProperty("image_url", out var image) && image.ValueKind == JsonValueKind.Object
                    && image.TryGetProperty("url", out var u) && u.ValueKind == JsonValueKind.String
                    ? u.GetString()!
                    : image.ValueKind == JsonValueKind.String ? image.GetString()! : null;
                return url is null ? Fail(out error, path + ".image_url.url", "needs a 'url'") : FromUri(url, path + ".image_url.url", out error);
            case "input_audio":
                if (!item.TryGetProperty("input_audio", out var audio) || !audio.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.String)
                {
                    return Fail(out error, path + ".input_audio.data", "needs base64 'data'");
                }

                var format = audio.TryGetProperty("format", out var f) ? f.GetString() : "wav";
                return Part.InlineData(format switch { "mp3" => "audio/mp3", "wav" => "audio/wav", _ => "audio/" + format }, data.GetString()!);
            case "file":
                if (!item.TryGetProperty("file", out var file) || file.ValueKind != JsonValueKind.Object)
                {
                    return Fail(out error, path + ".file", "needs a 'file' object");
                }

                if (file.TryGetProperty("file_data", out var fileData) && fileData.ValueKind == JsonValueKind.String)
                {
                    var value = fileData.GetString()!;
                    return value.StartsWith("data:", StringComparison.Ordinal)
                        ? FromUri(value, path + ".file.file_data", out error)
                        : Part.InlineData(MimeFromName(file.TryGetProperty("filename", out var n) ? n.GetString() : null) ?? "application/pdf", value);
                }

                if (file.TryGetProperty("file_id", out var fileId) && fileId.ValueKind == JsonValueKind.String)
                {
                    var id = fileId.GetString()!;
                    return id.StartsWith("files/", StringComparison.Ordinal) ? Part.FileData(null, GeminiFilesPrefix + "v1beta/" + id)
                        : id.StartsWith("gs://", StringComparison.Ordinal) || id.StartsWith(GeminiFilesPrefix, StringComparison.Ordinal) ? Part.FileData(MimeFromName(id), id)
                        : Fail(out error, path + ".file.file_id", "must name a Gemini file ('files/…') or a gs:// URI; OpenAI file ids mean nothing to Gemini");
                }

                return Fail(out error, path + ".file", "needs 'file_data' or 'file_id'");
            default:
                return Fail(out error, path + ".type", $"has an unsupported content part type '{type}'");
        }
    }

    private static Part? FromUri(string url, string param, out GatewayError? error)
    {
        error = null;
        if (url.StartsWith("data:", StringComparison.Ordinal))
        {
            var comma = url.IndexOf(',', StringComparison.Ordinal);
            var header = comma > 5 ? url[5..comma] : string.Empty;
            if (comma < 0 || !header.EndsWith(";base64", StringComparison.Ordinal))
            {
                return Fail(out error, param, "must be a base64 data URL (data:<mime>;base64,<data>)");
            }

            return Part.InlineData(header[..^";base64".Length], url[(comma + 1)..]);
        }

        if (url.StartsWith("gs://", StringComparison.Ordinal) || url.StartsWith(GeminiFilesPrefix, StringComparison.Ordinal))
        {
            return Part.FileData(MimeFromName(url), url);
        }

        return Fail(
            out error,
            param,
            "is an http(s) URL, which the gateway does not fetch for Gemini models (it would let requests reach the gateway's own network). Send the image as a data URL (data:image/png;base64,…) or a Gemini file URI");
    }

    private static string? MimeFromName(string? name)
    {
        var extension = Path.GetExtension(name ?? string.Empty).ToUpperInvariant();
        return extension switch
        {
            ".PDF" => "application/pdf",
            ".PNG" => "image/png",
            ".JPG" or ".JPEG" => "image/jpeg",
            ".WEBP" => "image/webp",
            ".GIF" => "image/gif",
            ".MP3" => "audio/mp3",
            ".WAV" => "audio/wav",
            ".TXT" => "text/plain",
            ".MP4" => "video/mp4",
            _ => null,
        };
    }

    private static Part? Fail(out GatewayError? error, string param, string what)
    {
        error = new GatewayError(GatewayErrorKind.InvalidRequest, $"'{param}' {what}.", param);
        return null;
    }
}
