using System.Text.Json;
using System.Text.Unicode;

namespace LlmGateway.Internal;

/// <summary>
/// What every JSON body a client sends must be before any of it is read: well-formed UTF-8 with no escaped lone
/// surrogate (<c>"\ud800"</c>), nested at most <see cref="MaxDepth"/> deep, and (for the bodies read into a document)
/// with no member named twice. A body that passes means the same to the gateway and to every parser behind it.
/// </summary>
internal static class RequestJson
{
    /// <summary>The deepest nesting accepted in a request body: System.Text.Json's own default.</summary>
    public const int MaxDepth = 64;

    public static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = MaxDepth };

    private static readonly JsonDocumentOptions s_documentOptions = new() { MaxDepth = MaxDepth, AllowDuplicateProperties = false };

    /// <summary>An error when <paramref name="body"/> is not valid UTF-8 or escapes a lone surrogate; else null. Both
    /// scans are vectorised, about a memory copy's cost.</summary>
    public static GatewayError? CheckText(ReadOnlySpan<byte> body)
    {
        if (!Utf8.IsValid(body))
        {
            return new GatewayError(GatewayErrorKind.InvalidJson, "The request body is not valid UTF-8; JSON must be sent as UTF-8.");
        }

        return HasLoneSurrogateEscape(body)
            ? new GatewayError(GatewayErrorKind.InvalidJson, "The request body has a \\u escape of a lone UTF-16 surrogate (\\ud800 to \\udfff without its pair), which is not text.")
            : null;
    }

    /// <summary>The error for a body nested deeper than <see cref="MaxDepth"/>.</summary>
    public static GatewayError TooDeep() =>
        new(GatewayErrorKind.InvalidJson, $"The request body nests JSON objects and arrays deeper than {MaxDepth} levels, the gateway's limit.");

    /// <summary>
    /// Whether a body whose reading failed failed because it nests deeper than <see cref="MaxDepth"/>; only called on
    /// that error path. <paramref name="depthAtFailure"/> is the failed reader's <c>CurrentDepth</c>.
    /// </summary>
    public static bool IsTooDeep(ReadOnlySpan<byte> body, int depthAtFailure)
    {
        if (depthAtFailure < MaxDepth - 1)
        {
            return false;
        }

        // A reader allowed one level more gets past the point where the first one stopped: if it gets there, depth was
        // the reason.
        var reader = new Utf8JsonReader(body, new JsonReaderOptions { MaxDepth = MaxDepth + 1 });
        try
        {
            while (reader.Read())
            {
                if (reader.CurrentDepth >= MaxDepth)
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // Another fault before the limit was reached.
        }

        return false;
    }

    /// <summary>
    /// A document of a request body read off the hot path (the admin API): text, depth and duplicate members are
    /// checked; the caller disposes it.
    /// </summary>
    public static JsonDocument? Parse(ReadOnlyMemory<byte> body, out GatewayError? error)
    {
        error = CheckText(body.Span);
        if (error is not null)
        {
            return null;
        }

        try
        {
            return JsonDocument.Parse(body, s_documentOptions);
        }
        catch (JsonException ex)
        {
            error = IsTooDeep(body.Span, MaxDepth - 1)
                ? TooDeep()
                : new GatewayError(GatewayErrorKind.InvalidJson, $"The request body is not valid JSON: {ex.Message}");
            return null;
        }
    }

    /// <summary>
    /// Whether a <c>\u</c> escape in <paramref name="body"/> is a lone surrogate: a high one (D800–DBFF) not followed by
    /// a <c>\u</c> low one (DC00–DFFF), or a low one on its own. Readers differ on such strings (replace, refuse, or pass
    /// them on), so the gateway refuses them.
    /// </summary>
    public static bool HasLoneSurrogateEscape(ReadOnlySpan<byte> body)
    {
        var from = 0;
        while (true)
        {
            var hit = body[from..].IndexOf("\\u"u8);
            if (hit < 0)
            {
                return false;
            }

            var at = from + hit;
            if (IsEscapedBackslash(body, at))
            {
                from = at + 1; // "\\u": an escaped backslash, then a plain u
                continue;
            }

            if (!TryHex(body, at + 2, out var unit))
            {
                from = at + 2; // not an escape the reader accepts; it refuses the body itself
                continue;
            }

            if (unit is >= 0xDC00 and <= 0xDFFF)
            {
                return true; // a low surrogate with no high one before it (pairs are stepped over whole)
            }

            if (unit is >= 0xD800 and <= 0xDBFF)
            {
                var next = at + 6;
                if (!body[next..].StartsWith("\\u"u8) || !TryHex(body, next + 2, out var low) || low is < 0xDC00 or > 0xDFFF)
                {
                    return true;
                }

                from = next + 6;
                continue;
            }

            from = at + 6;
        }
    }

    /// <summary>Whether the backslash at <paramref name="at"/> is itself escaped (an odd run of backslashes before it).</summary>
    private static bool IsEscapedBackslash(ReadOnlySpan<byte> body, int at)
    {
        var run = 0;
        for (var i = at - 1; i >= 0 && body[i] == (byte)'\\'; i--)
        {
            run++;
        }

        return (run & 1) == 1;
    }

    private static bool TryHex(ReadOnlySpan<byte> body, int start, out int value)
    {
        value = 0;
        if (start + 4 > body.Length)
        {
            return false;
        }

        for (var i = start; i < start + 4; i++)
        {
            var digit = HexDigit(body[i]);
            if (digit < 0)
            {
                return false;
            }

            value = (value << 4) | digit;
        }

        return true;
    }

    private static int HexDigit(byte b) => b switch
    {
        >= (byte)'0' and <= (byte)'9' => b - '0',
        >= (byte)'a' and <= (byte)'f' => b - 'a' + 10,
        >= (byte)'A' and <= (byte)'F' => b - 'A' + 10,
        _ => -1,
    };
}
