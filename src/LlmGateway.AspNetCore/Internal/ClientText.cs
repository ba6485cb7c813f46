using System.Buffers;
using System.Globalization;
using System.Text;

namespace LlmGateway.AspNetCore.Internal;

/// <summary>
/// Text that came from a client (a path, a model name, a provider name) made safe before it is logged: every control
/// character escaped, so that it can never forge or break a log line. The same rules as LlmGateway.Core's own.
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

    /// <summary>
    /// <paramref name="value"/> with every control character written as an escape (<c>\r</c>, <c>\n</c>, <c>\t</c>,
    /// <c>\0</c>, else <c>\u001B</c>); the same string, unallocated, when there is none.
    /// </summary>
    public static string ForLog(string? value)
    {
        if (value is null)
        {
            return string.Empty;
        }

        var first = value.AsSpan().IndexOfAny(s_controls);
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
