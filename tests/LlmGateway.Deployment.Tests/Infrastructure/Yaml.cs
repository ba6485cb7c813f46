using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace LlmGateway.Deployment.Tests.Infrastructure;

/// <summary>
/// YAML read as plain data: mappings become dictionaries with string keys, sequences lists, scalars strings (so
/// <c>8080</c> and <c>"8080"</c> read alike). Anchors, aliases and merge keys (<c>&lt;&lt;: *gateway</c>) are resolved.
/// </summary>
internal static class Yaml
{
    private static readonly IDeserializer Deserializer = new DeserializerBuilder().Build();

    /// <summary>Every document of a YAML text (a Kubernetes file may hold several, separated by <c>---</c>).</summary>
    /// <exception cref="YamlException">The text is not valid YAML.</exception>
    public static IReadOnlyList<object?> Documents(string text)
    {
        // The plain parser first, so a syntax error is a YamlException with its position (its scanner throws an
        // InvalidOperationException for some, such as an unclosed flow sequence).
        var syntax = new Parser(new StringReader(text));
        try
        {
            while (syntax.MoveNext())
            {
            }
        }
        catch (InvalidOperationException ex)
        {
            throw new YamlException(syntax.Current?.Start ?? Mark.Empty, syntax.Current?.End ?? Mark.Empty, "The YAML parser stopped: " + ex.Message, ex);
        }

        var parser = new MergingParser(new Parser(new StringReader(text)));
        parser.Consume<StreamStart>();
        var documents = new List<object?>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(Normalize(Deserializer.Deserialize<object?>(parser)));
        }

        return documents;
    }

    /// <summary>The single document of a YAML text.</summary>
    public static object? Document(string text) => Documents(text) switch
    {
        [var single] => single,
        var all => throw new InvalidOperationException($"Expected one YAML document, found {all.Count}."),
    };

    /// <summary>The node at <paramref name="path"/> (mapping keys, or list indexes as numbers), or null.</summary>
    public static object? At(this object? node, params string[] path)
    {
        foreach (var step in path)
        {
            node = node switch
            {
                Dictionary<string, object?> map => map.GetValueOrDefault(step),
                List<object?> list when int.TryParse(step, out var i) && i >= 0 && i < list.Count => list[i],
                _ => null,
            };
        }

        return node;
    }

    /// <summary>The scalar at <paramref name="path"/>, or null.</summary>
    public static string? Text(this object? node, params string[] path) => node.At(path) as string;

    public static Dictionary<string, object?> Map(this object? node, params string[] path) =>
        node.At(path) as Dictionary<string, object?> ?? [];

    public static List<object?> List(this object? node, params string[] path) => node.At(path) as List<object?> ?? [];

    private static object? Normalize(object? node) => node switch
    {
        IDictionary<object, object?> map => map.ToDictionary(static e => Convert.ToString(e.Key, System.Globalization.CultureInfo.InvariantCulture)!, static e => Normalize(e.Value), StringComparer.Ordinal),
        IList<object?> list => list.Select(Normalize).ToList(),
        _ => node,
    };
}
