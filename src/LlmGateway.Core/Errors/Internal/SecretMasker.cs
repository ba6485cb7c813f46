using System.Text;
using System.Text.RegularExpressions;

namespace LlmGateway.Internal;

/// <summary>
/// Masks what looks like a credential in text the gateway did not write itself (an upstream's error message): OpenAI
/// keys (<c>sk-…</c>, <c>sk-proj-…</c>, also as an upstream echoes them, <c>sk-proj-****abcd</c>), Google API keys
/// (<c>AIza…</c>), <c>Bearer</c> tokens, and long base64 or hex runs. Each keeps a short prefix followed by
/// <c>***</c>, so a message still says which kind of key it was about.
/// </summary>
internal static partial class SecretMasker
{
    /// <summary>The most of an upstream's message that is kept.</summary>
    public const int MaxMessageLength = 1000;

    private const string Mask = "***";

    /// <summary>Returns <paramref name="text"/> with every key-shaped run masked, cut to <paramref name="maxLength"/>
    /// characters.</summary>
    public static string Redact(string text, int maxLength = MaxMessageLength)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > maxLength)
        {
            text = string.Concat(text.AsSpan(0, maxLength), "…");
        }

        return Secrets().Replace(text, static match =>
        {
            if (match.Groups["bearer"].Success)
            {
                return match.Groups["bearer"].Value + Mask;
            }

            if (match.Groups["prefix"].Success)
            {
                return match.Groups["prefix"].Value + Mask;
            }

            // A long token of no known kind: its first four characters.
            return string.Concat(match.ValueSpan[..4], Mask);
        });
    }

    /// <summary>
    /// A printable excerpt of an upstream body for a debug log: at most <paramref name="maxLength"/> characters,
    /// control characters escaped (<c>\n</c>, <c>\u001b</c>) so the body cannot forge log lines, and key-shaped runs
    /// masked.
    /// </summary>
    public static string Excerpt(ReadOnlySpan<byte> body, int maxLength = 512)
    {
        var text = Encoding.UTF8.GetString(body.Length > maxLength * 4 ? body[..(maxLength * 4)] : body);
        var cut = text.Length > maxLength;
        var builder = new StringBuilder(Math.Min(text.Length, maxLength) + 16);
        foreach (var c in cut ? text.AsSpan(0, maxLength) : text)
        {
            switch (c)
            {
                case '\n':
                    builder.Append("\\n");
                    break;
                case '\r':
                    builder.Append("\\r");
                    break;
                case '\t':
                    builder.Append("\\t");
                    break;
                default:
                    if (char.IsControl(c) || c is '\u2028' or '\u2029')
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        if (cut)
        {
            builder.Append('…');
        }

        return Redact(builder.ToString(), int.MaxValue);
    }

    // Alternatives, in order: a Bearer token; a known key prefix and what follows it (an upstream's own masking, '*',
    // included); a run of 32 or more base64/hex characters with at least one digit.
    [GeneratedRegex(
        @"(?<bearer>\bBearer\s+)[A-Za-z0-9\-._~+/]+=*"
        + @"|(?<prefix>\b(?:sk-(?:proj-|svcacct-|admin-|ant-)?|AIza))[A-Za-z0-9_\-\*\.…]{4,}"
        + @"|(?<![A-Za-z0-9+/_\-])(?=[A-Za-z+/_\-]*[0-9])[A-Za-z0-9+/_\-]{32,}={0,2}",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase | RegexOptions.ExplicitCapture)]
    private static partial Regex Secrets();
}
