using System.Net.Http.Headers;
using System.Text;
using System.Text.Unicode;

namespace LlmGateway.Internal;

/// <summary>
/// What the gateway needs from a <c>multipart/form-data</c> request (audio transcription and translation): the
/// <c>model</c> field (and where its value sits, for a rewrite), the <c>stream</c> field, and that a <c>file</c> part
/// is there. It scans part headers and jumps from boundary to boundary; the file itself is never copied.
/// </summary>
internal static class MultipartPeek
{
    public static RequestPeek Read(ReadOnlySpan<byte> body, string? contentType)
    {
        if (contentType is null || !MediaTypeHeaderValue.TryParse(contentType, out var mediaType)
            || !string.Equals(mediaType.MediaType, "multipart/form-data", StringComparison.OrdinalIgnoreCase))
        {
            return RequestPeek.Failed(new GatewayError(GatewayErrorKind.InvalidRequest, "This endpoint takes a multipart/form-data body with a 'file' and a 'model'."));
        }

        var boundary = mediaType.Parameters.FirstOrDefault(static p => string.Equals(p.Name, "boundary", StringComparison.OrdinalIgnoreCase))?.Value?.Trim('"');
        if (string.IsNullOrEmpty(boundary))
        {
            return RequestPeek.Failed(new GatewayError(GatewayErrorKind.InvalidRequest, "The multipart/form-data content type has no boundary."));
        }

        var delimiter = Encoding.ASCII.GetBytes("--" + boundary);
        var next = Encoding.ASCII.GetBytes("\r\n--" + boundary);
        string? model = null;
        int modelStart = 0, modelLength = 0;
        bool stream = false, hasStream = false, hasFile = false;

        var position = body.IndexOf(delimiter);
        while (position >= 0)
        {
            position += delimiter.Length;
            var rest = body[position..];
            if (rest.StartsWith("--"u8))
            {
                break; // the closing delimiter
            }

            if (!rest.StartsWith("\r\n"u8))
            {
                return Malformed();
            }

            position += 2;
            var headersEnd = body[position..].IndexOf("\r\n\r\n"u8);
            if (headersEnd < 0)
            {
                return Malformed();
            }

            var headers = body.Slice(position, headersEnd);
            var contentStart = position + headersEnd + 4;
            var contentLength = body[contentStart..].IndexOf(next);
            if (contentLength < 0)
            {
                return Malformed();
            }

            var content = body.Slice(contentStart, contentLength);
            var (name, isFile) = FieldName(headers);
            if (!isFile && name != "file" && !Utf8.IsValid(content))
            {
                // Text fields only: the file is whatever bytes the audio is.
                return RequestPeek.Failed(new GatewayError(GatewayErrorKind.InvalidRequest, $"The multipart field '{name}' is not valid UTF-8 text.", name));
            }

            switch (name)
            {
                case "model":
                    if (model is not null)
                    {
                        return Duplicate("model");
                    }

                    var raw = Encoding.UTF8.GetString(content);
                    var at = ClientText.IndexOfControl(raw);
                    if (at >= 0)
                    {
                        return RequestPeek.Failed(new GatewayError(GatewayErrorKind.InvalidValue, $"Invalid value for 'model': a model name cannot contain control characters ({ClientText.Describe(raw[at])} at position {at}).", "model"));
                    }

                    model = raw.Trim();
                    modelStart = contentStart;
                    modelLength = contentLength;
                    break;
                case "stream":
                    if (hasStream)
                    {
                        return Duplicate("stream");
                    }

                    hasStream = true;
                    stream = content.Trim(" \t"u8).SequenceEqual("true"u8);
                    break;
                case "file":
                    if (hasFile)
                    {
                        return Duplicate("file");
                    }

                    hasFile = true;
                    break;
                default:
                    break;
            }

            position = contentStart + contentLength + 2;
        }

        if (string.IsNullOrEmpty(model))
        {
            return RequestPeek.Failed(new GatewayError(GatewayErrorKind.MissingParameter, "You must provide a model parameter.", "model"));
        }

        if (!hasFile)
        {
            return RequestPeek.Failed(new GatewayError(GatewayErrorKind.MissingParameter, "Missing required parameter: 'file'.", "file"));
        }

        return RequestPeek.Multipart(model, modelStart, modelLength, stream);
    }

    /// <summary>The <c>name</c> of a part's <c>Content-Disposition: form-data; name="…"</c> header, and whether the
    /// part is a file (has a <c>filename</c>).</summary>
    private static (string? Name, bool IsFile) FieldName(ReadOnlySpan<byte> headers)
    {
        foreach (var line in Encoding.UTF8.GetString(headers).Split("\r\n"))
        {
            if (line.StartsWith("Content-Disposition:", StringComparison.OrdinalIgnoreCase)
                && ContentDispositionHeaderValue.TryParse(line["Content-Disposition:".Length..].Trim(), out var disposition))
            {
                return (disposition.Name?.Trim('"'), disposition.FileName is not null || disposition.FileNameStar is not null);
            }
        }

        return (null, false);
    }

    private static RequestPeek Duplicate(string field) =>
        RequestPeek.Failed(new GatewayError(GatewayErrorKind.InvalidRequest, $"The multipart body has more than one '{field}' field; send each once.", field) { Code = "duplicate_parameter" });

    private static RequestPeek Malformed() =>
        RequestPeek.Failed(new GatewayError(GatewayErrorKind.InvalidRequest, "The multipart/form-data body is malformed."));
}
