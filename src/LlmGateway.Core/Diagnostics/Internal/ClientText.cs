using System.Buffers;
using System.Globalization;
using System.Text;

namespace LlmGateway.Internal;

/// <summary>
/// Text that came from a client (a model name, a header value, a path), checked or made safe before it goes where a
/// line break or a terminal escape would do harm: a model name refused if it has a control character, any such text
/// escaped before it is logged, so that it can never forge or break a log line.
/// </summary>
internal static class ClientText
{
    // The C0 controls (NUL, TAB, CR, LF, ESC…), DEL and the C1 controls (NEL…), and the Unicode line and paragraph
    // separators, which some log viewers also break lines at.
    private static readonly SearchValues<char> s_controls = SearchValues.Create(
        "\u0000\u0001\u0002\u0003\u0004\u0005\u0006\u0007\u0008\u0009\u000A\u000B\u000C\u000D\u000E\u000F"
        + "\u0010\u0011\u0012\u0013\u0014\u0015\u0016\u0017\u0018\u0019\u001A\u001B\u001C\u001D\u001E\u001F"
        + "\u007F\u0080\u0081\u0082\u0083\u0084\u0085\u0086\u0087\u0088\u0089\u008A\u008B\u008C\u008D\u008E\u008F"
        + "\u0090\u0091\u0092\u0093\u0094\u0095\u0096\u0097\u0098\u0099\u009A\u009B\u009C\u009D\u009E\u009F"
        + "\u2028\u2029");

    /// <summary>The index of the first control character (C0, DEL, C1, U+2028, U+2029) in <paramref name="text"/>, or -1.</summary>
    public static int IndexOfControl(ReadOnlySpan<char> text) => text.IndexOfAny(s_controls);

    /// <summary>A control character as a client would recognise it in a message: <c>U+000A</c>.</summary>
    public static string Describe(char c) => "U+" + ((int)c).ToString("X4", CultureInfo.InvariantCulture);

    /// <summary>
    /// <paramref name="value"/> with every control character written as an escape (<c>\r</c>, <c>\n</c>, <c>\t</c>,
    /// <c>\0</c>, else <c>\u001B</c>); the same string, unallocated, when there is none. For every log argument that
    /// can carry a client's text.
    /// </summary>
    public static string ForLog(string? value)
    {
        if (value is null)
        {
            return string.Empty;
        }

        var first = IndexOfControl(value);
        if (first < 0)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length + 16);
        builder.Append(value, 0, first);
        foreach (var c in value.AsSpan(first))
        {
            if (!s_controls.Contains(c))
            {
                builder.Append(c);
                continue;
            }

            _ = c switch
            {
                '\r' => builder.Append("\\r"),
                '\n' => builder.Append("\\n"),
                '\t' => builder.Append("\\t"),
                '\0' => builder.Append("\\0"),
                _ => builder.Append("\\u").Append(((int)c).ToString("X4", CultureInfo.InvariantCulture)),
            };
        }

        return builder.ToString();
    }
}
