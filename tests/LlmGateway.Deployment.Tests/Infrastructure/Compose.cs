using System.Globalization;
using System.Text.RegularExpressions;

namespace LlmGateway.Deployment.Tests.Infrastructure;

/// <summary>What docker compose does to a compose file's values: <c>${VAR}</c> interpolation, durations.</summary>
internal static partial class Compose
{
    /// <summary>The variables of an env file (<c>NAME=value</c> lines; comments and blank lines skipped).</summary>
    public static Dictionary<string, string> EnvFile(string text)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            variables[line[..equals].Trim()] = line[(equals + 1)..].Trim().Trim('"');
        }

        return variables;
    }

    /// <summary>The variables a text interpolates (<c>${NAME}</c>, <c>${NAME:-default}</c>, <c>${NAME:?error}</c>...).</summary>
    public static IEnumerable<string> Referenced(string text) =>
        Interpolation().Matches(text).Select(static m => m.Groups["name"].Value).Distinct(StringComparer.Ordinal);

    /// <summary>
    /// <paramref name="value"/> interpolated as compose does from <paramref name="variables"/>; a required variable
    /// (<c>:?</c>) that is unset or empty adds a problem.
    /// </summary>
    public static string Interpolate(string value, IReadOnlyDictionary<string, string> variables, List<string> problems, string where) =>
        Interpolation().Replace(value, match =>
        {
            var name = match.Groups["name"].Value;
            var set = variables.TryGetValue(name, out var current);
            var empty = !set || current!.Length == 0;
            var modifier = match.Groups["modifier"].Value;
            var argument = match.Groups["argument"].Value;
            switch (modifier)
            {
                case ":-" when empty:
                case "-" when !set:
                    return argument;
                case ":?" when empty:
                case "?" when !set:
                    problems.Add($"{where}: ${{{name}}} is required ({argument}) and the env file leaves it empty.");
                    return "";
                default:
                    return current ?? "";
            }
        });

    /// <summary>A compose duration ("45s", "1m30s", "500ms").</summary>
    public static TimeSpan Duration(string value)
    {
        var total = TimeSpan.Zero;
        foreach (Match part in DurationPart().Matches(value))
        {
            var n = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
            total += part.Groups[2].Value switch
            {
                "ms" => TimeSpan.FromMilliseconds(n),
                "s" => TimeSpan.FromSeconds(n),
                "m" => TimeSpan.FromMinutes(n),
                "h" => TimeSpan.FromHours(n),
                var unit => throw new FormatException($"Unknown duration unit '{unit}' in '{value}'."),
            };
        }

        return total;
    }

    /// <summary>A service's <c>environment</c>, given as a mapping or as a list of <c>NAME=value</c>.</summary>
    public static Dictionary<string, string?> Environment(object? service)
    {
        var environment = new Dictionary<string, string?>(StringComparer.Ordinal);
        switch (service.At("environment"))
        {
            case Dictionary<string, object?> map:
                foreach (var (name, value) in map)
                {
                    environment[name] = value as string ?? "";
                }

                break;
            case List<object?> list:
                foreach (var entry in list.OfType<string>())
                {
                    var equals = entry.IndexOf('=', StringComparison.Ordinal);
                    environment[equals < 0 ? entry : entry[..equals]] = equals < 0 ? null : entry[(equals + 1)..];
                }

                break;
        }

        return environment;
    }

    [GeneratedRegex(@"\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?<modifier>:?[-?])(?<argument>[^}]*))?\}")]
    private static partial Regex Interpolation();

    [GeneratedRegex(@"(\d+(?:\.\d+)?)(ms|s|m|h)")]
    private static partial Regex DurationPart();
}
