using System.Globalization;
using System.Text;

namespace LlmGateway.Deployment.Tests.Infrastructure;

/// <summary>One nginx directive: its name, arguments (quotes removed) and, for a block, the directives inside.</summary>
internal sealed record NginxDirective(string Name, IReadOnlyList<string> Arguments, IReadOnlyList<NginxDirective> Children)
{
    /// <summary>Every directive named <paramref name="name"/> in this block and the blocks inside it.</summary>
    public IEnumerable<NginxDirective> Find(string name) => Nginx.Find(Children, name);
}

/// <summary>An nginx configuration read as nginx reads it, as far as the checks need: directives and blocks.</summary>
internal static class Nginx
{
    public static IReadOnlyList<NginxDirective> Parse(string text)
    {
        var tokens = Tokens(text);
        var position = 0;
        var directives = Block(tokens, ref position);
        if (position != tokens.Count)
        {
            throw new FormatException("Unbalanced '}' in the nginx configuration.");
        }

        return directives;
    }

    public static IEnumerable<NginxDirective> Find(IEnumerable<NginxDirective> directives, string name)
    {
        foreach (var directive in directives)
        {
            if (directive.Name == name)
            {
                yield return directive;
            }

            foreach (var inner in Find(directive.Children, name))
            {
                yield return inner;
            }
        }
    }

    /// <summary>An nginx time ("620s", "10m", "620") in seconds.</summary>
    public static TimeSpan Time(string value)
    {
        var total = TimeSpan.Zero;
        var number = new StringBuilder();
        for (var i = 0; i < value.Length; i++)
        {
            if (char.IsAsciiDigit(value[i]))
            {
                number.Append(value[i]);
                continue;
            }

            var unit = value[i] == 'm' && i + 1 < value.Length && value[i + 1] == 's' ? "ms" : value[i].ToString();
            i += unit.Length - 1;
            total += Unit(long.Parse(number.ToString(), CultureInfo.InvariantCulture), unit);
            number.Clear();
        }

        return number.Length > 0 ? total + TimeSpan.FromSeconds(long.Parse(number.ToString(), CultureInfo.InvariantCulture)) : total;

        static TimeSpan Unit(long n, string unit) => unit switch
        {
            "ms" => TimeSpan.FromMilliseconds(n),
            "s" => TimeSpan.FromSeconds(n),
            "m" => TimeSpan.FromMinutes(n),
            "h" => TimeSpan.FromHours(n),
            "d" => TimeSpan.FromDays(n),
            _ => throw new FormatException($"Unknown nginx time unit '{unit}'."),
        };
    }

    /// <summary>An nginx size ("32m", "512k", "33554432") in bytes.</summary>
    public static long Size(string value) => char.ToLowerInvariant(value[^1]) switch
    {
        'k' => long.Parse(value[..^1], CultureInfo.InvariantCulture) * 1024,
        'm' => long.Parse(value[..^1], CultureInfo.InvariantCulture) * 1024 * 1024,
        'g' => long.Parse(value[..^1], CultureInfo.InvariantCulture) * 1024 * 1024 * 1024,
        _ => long.Parse(value, CultureInfo.InvariantCulture),
    };

    private static List<NginxDirective> Block(List<string> tokens, ref int position)
    {
        var directives = new List<NginxDirective>();
        var words = new List<string>();
        while (position < tokens.Count)
        {
            var token = tokens[position++];
            switch (token)
            {
                case ";":
                    directives.Add(new NginxDirective(words[0], [.. words.Skip(1)], []));
                    words = [];
                    break;
                case "{":
                    var children = Block(tokens, ref position);
                    if (position > tokens.Count || tokens[position - 1] != "}")
                    {
                        throw new FormatException($"The block '{string.Join(' ', words)}' is not closed.");
                    }

                    directives.Add(new NginxDirective(words[0], [.. words.Skip(1)], children));
                    words = [];
                    break;
                case "}":
                    return directives;
                default:
                    words.Add(token);
                    break;
            }
        }

        return directives;
    }

    private static List<string> Tokens(string text)
    {
        var tokens = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '#')
            {
                while (i < text.Length && text[i] != '\n')
                {
                    i++;
                }

                continue;
            }

            if (c is '"' or '\'')
            {
                var end = text.IndexOf(c, i + 1);
                word.Append(text, i + 1, end - i - 1);
                inWord = true;
                i = end;
                continue;
            }

            if (char.IsWhiteSpace(c) || c is ';' or '{' or '}')
            {
                if (inWord)
                {
                    tokens.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }

                if (!char.IsWhiteSpace(c))
                {
                    tokens.Add(c.ToString());
                }

                continue;
            }

            word.Append(c);
            inWord = true;
        }

        return tokens;
    }
}
