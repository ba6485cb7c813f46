using System.Text;
using System.Text.Json;

namespace LlmGateway.Deployment.Tests.Infrastructure;

/// <summary>One instruction of a Dockerfile: its keyword (upper case) and the rest of its logical line.</summary>
internal sealed record DockerInstruction(string Keyword, string Arguments);

/// <summary>A build stage: from its <c>FROM</c> to the next.</summary>
internal sealed class DockerStage(string baseImage, string? name, IReadOnlyList<DockerInstruction> instructions)
{
    public string BaseImage { get; } = baseImage;

    public string? Name { get; } = name;

    public IReadOnlyList<DockerInstruction> Instructions { get; } = instructions;

    /// <summary>The variables the stage's <c>ENV</c> instructions set (later ones win), quotes removed.</summary>
    public IReadOnlyDictionary<string, string> Environment
    {
        get
        {
            var environment = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var instruction in All("ENV"))
            {
                var words = Dockerfile.Words(instruction.Arguments);
                if (words.Count > 0 && !words[0].Contains('=', StringComparison.Ordinal))
                {
                    // The legacy form: ENV NAME value with spaces
                    environment[words[0]] = string.Join(' ', words.Skip(1));
                    continue;
                }

                foreach (var word in words)
                {
                    var equals = word.IndexOf('=', StringComparison.Ordinal);
                    environment[word[..equals]] = word[(equals + 1)..];
                }
            }

            return environment;
        }
    }

    public IEnumerable<DockerInstruction> All(string keyword) =>
        Instructions.Where(i => string.Equals(i.Keyword, keyword, StringComparison.Ordinal));

    /// <summary>The last instruction with this keyword (the one in force), or null.</summary>
    public DockerInstruction? Last(string keyword) => All(keyword).LastOrDefault();

    /// <summary>The <c>COPY</c> instructions: their <c>--flags</c>, sources and destination.</summary>
    public IEnumerable<(IReadOnlyList<string> Flags, IReadOnlyList<string> Sources, string Destination)> Copies() =>
        All("COPY").Select(static copy =>
        {
            var words = Dockerfile.Words(copy.Arguments);
            var flags = words.TakeWhile(static w => w.StartsWith("--", StringComparison.Ordinal)).ToList();
            var paths = words.Skip(flags.Count).ToList();
            return ((IReadOnlyList<string>)flags, (IReadOnlyList<string>)paths[..^1], paths[^1]);
        });
}

/// <summary>
/// A Dockerfile read as Docker reads it, as far as the checks need: comment lines dropped, lines ending in a backslash
/// joined, one instruction per logical line, stages split at each <c>FROM</c>.
/// </summary>
internal sealed class Dockerfile
{
    private Dockerfile(IReadOnlyList<DockerStage> stages) => Stages = stages;

    public IReadOnlyList<DockerStage> Stages { get; }

    /// <summary>The last stage: the image that is built.</summary>
    public DockerStage Final => Stages[^1];

    public static Dockerfile Parse(string text)
    {
        var instructions = new List<DockerInstruction>();
        var pending = new StringBuilder();
        foreach (var rawLine in text.Split('\n'))
        {
            var line = rawLine.TrimEnd('\r');
            if (line.TrimStart().StartsWith('#') || (pending.Length == 0 && line.Trim().Length == 0))
            {
                continue; // a comment (also inside a continued instruction), or a blank line between instructions
            }

            if (line.EndsWith('\\'))
            {
                pending.Append(line[..^1]).Append(' ');
                continue;
            }

            pending.Append(line);
            var logical = pending.ToString().Trim();
            pending.Clear();
            var space = logical.IndexOfAny([' ', '\t']);
            instructions.Add(space < 0
                ? new DockerInstruction(logical.ToUpperInvariant(), "")
                : new DockerInstruction(logical[..space].ToUpperInvariant(), logical[(space + 1)..].Trim()));
        }

        var stages = new List<DockerStage>();
        string? baseImage = null;
        string? name = null;
        var current = new List<DockerInstruction>();
        foreach (var instruction in instructions)
        {
            if (instruction.Keyword != "FROM")
            {
                current.Add(instruction);
                continue;
            }

            if (baseImage is not null)
            {
                stages.Add(new DockerStage(baseImage, name, current));
            }

            var words = Words(instruction.Arguments).Where(static w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
            baseImage = words[0];
            name = words.Count >= 3 && string.Equals(words[1], "AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
            current = [];
        }

        if (baseImage is null)
        {
            throw new FormatException("The Dockerfile has no FROM.");
        }

        stages.Add(new DockerStage(baseImage, name, current));
        return new Dockerfile(stages);
    }

    /// <summary>The command of an exec-form (<c>["a", "b"]</c>) or shell-form instruction argument.</summary>
    public static IReadOnlyList<string> Command(string arguments) =>
        arguments.StartsWith('[')
            ? JsonSerializer.Deserialize<List<string>>(arguments) ?? []
            : ["/bin/sh", "-c", arguments];

    /// <summary>Whitespace-separated words; double or single quotes group and are removed, a backslash escapes.</summary>
    public static IReadOnlyList<string> Words(string text)
    {
        var words = new List<string>();
        var word = new StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '\\' && quote != '\'' && i + 1 < text.Length)
            {
                word.Append(text[++i]);
                inWord = true;
            }
            else if (quote is not null)
            {
                if (c == quote)
                {
                    quote = null;
                }
                else
                {
                    word.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord)
                {
                    words.Add(word.ToString());
                    word.Clear();
                    inWord = false;
                }
            }
            else
            {
                word.Append(c);
                inWord = true;
            }
        }

        if (inWord)
        {
            words.Add(word.ToString());
        }

        return words;
    }
}
