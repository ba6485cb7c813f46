using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace LlmGateway.StandInUpstream.Gemini;

/// <summary>
/// Reading a request the way Google's JSON parser does: every field may be spelt in lowerCamelCase (its JSON name) or
/// in snake_case (its proto name), and a single value is read as a one-element list for a repeated field.
/// </summary>
internal static class GeminiJson
{
    /// <summary>The field by its JSON name or its proto (snake_case) name.</summary>
    public static JsonNode? Field(JsonNode? node, string camelName) =>
        node is JsonObject obj ? obj[camelName] ?? obj[SnakeCase(camelName)] : null;

    public static bool Has(JsonNode? node, string camelName) =>
        node is JsonObject obj && (obj.ContainsKey(camelName) || obj.ContainsKey(SnakeCase(camelName)));

    public static string? String(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<string>(out var text) ? text : null;

    public static string? StringField(JsonNode? node, string camelName) => String(Field(node, camelName));

    /// <summary>An integer given as a JSON number or, as proto3 JSON allows for integers, as a string.</summary>
    public static long? Integer(JsonNode? node)
    {
        if (node is not JsonValue value)
        {
            return null;
        }

        if (value.TryGetValue<long>(out var number))
        {
            return number;
        }

        if (value.TryGetValue<double>(out var real) && Math.Abs(real % 1) < double.Epsilon)
        {
            return (long)real;
        }

        return value.TryGetValue<string>(out var text) && long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed)
            ? parsed
            : null;
    }

    public static bool? Boolean(JsonNode? node) =>
        node is JsonValue value && value.TryGetValue<bool>(out var flag) ? flag : null;

    /// <summary>The elements of a repeated field: a list, or a single value read as a one-element list.</summary>
    public static IEnumerable<JsonNode?> Items(JsonNode? node)
    {
        if (node is JsonArray array)
        {
            return array;
        }

        return node is null ? [] : new[] { node };
    }

    public static List<JsonObject> Objects(JsonNode? node) => [.. Items(node).OfType<JsonObject>()];

    public static List<string> Strings(JsonNode? node) => [.. Items(node).Select(String).OfType<string>()];

    /// <summary>lowerCamelCase to snake_case, the proto field name Google uses in error paths.</summary>
    public static string SnakeCase(string camelName)
    {
        var builder = new StringBuilder(camelName.Length + 4);
        foreach (var c in camelName)
        {
            if (char.IsUpper(c))
            {
                builder.Append('_').Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    public static string Compact(JsonNode? node) => node?.ToJsonString() ?? "null";
}
