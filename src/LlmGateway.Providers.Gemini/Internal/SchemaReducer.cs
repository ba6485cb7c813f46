using System.Text.Json;

namespace LlmGateway.Gemini.Internal;

/// <summary>
/// Reduces a JSON Schema (as OpenAI tools and <c>response_format</c> carry it) to the OpenAPI subset Gemini's
/// <c>Schema</c> accepts, without changing the meaning of what stays.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item>Kept: <c>type format title description nullable enum items properties required minItems maxItems
/// minProperties maxProperties minLength maxLength pattern minimum maximum anyOf propertyOrdering default example</c>.</item>
/// <item><c>$ref</c> to <c>#/$defs/…</c> or <c>#/definitions/…</c> is inlined (a recursive reference beyond a few
/// levels becomes an unconstrained object); <c>$defs</c>/<c>definitions</c> are then dropped.</item>
/// <item><c>"type": ["string", "null"]</c> becomes <c>"type": "string", "nullable": true</c>; <c>oneOf</c> becomes
/// <c>anyOf</c> (the same for the generator's purpose); <c>const: x</c> becomes <c>enum: [x]</c> for strings. Gemini's
/// <c>enum</c> takes strings only: an <c>enum</c> or <c>const</c> of numbers or booleans is dropped.</item>
/// <item>Dropped, as Gemini rejects them: <c>additionalProperties</c>, <c>$schema</c>, <c>$id</c>, <c>strict</c>,
/// <c>exclusiveMinimum</c>/<c>exclusiveMaximum</c>, <c>examples</c>, <c>allOf</c>/<c>not</c>/<c>if</c>…, unknown
/// <c>format</c>s. These only narrow what is valid; the model still gets every property, type and description.</item>
/// </list>
/// </remarks>
internal static class SchemaReducer
{
    private const int MaxRefDepth = 8;

    private static readonly HashSet<string> s_copied = new(StringComparer.Ordinal)
    {
        "title", "description", "nullable", "minItems", "maxItems", "minProperties", "maxProperties",
        "minLength", "maxLength", "pattern", "minimum", "maximum", "propertyOrdering", "default", "example",
    };

    private static readonly HashSet<string> s_formats = new(StringComparer.Ordinal)
    {
        "date-time", "enum", "int32", "int64", "float", "double",
    };

    public static void Write(Utf8JsonWriter writer, JsonElement schema) => WriteSchema(writer, schema, Definitions(schema), 0);

    private static JsonElement? Definitions(JsonElement root) =>
        root.ValueKind != JsonValueKind.Object ? null
        : root.TryGetProperty("$defs", out var defs) ? defs
        : root.TryGetProperty("definitions", out var definitions) ? definitions
        : null;

    private static void WriteSchema(Utf8JsonWriter writer, JsonElement schema, JsonElement? definitions, int refDepth, bool forceNullable = false, JsonElement outer = default)
    {
        // `anyOf: [X, {"type":"null"}]` (how Pydantic and zod write an optional field) is X, nullable, keeping the
        // outer schema's title and description.
        if (NullableAlternative(schema) is { } alternative)
        {
            WriteSchema(writer, alternative, definitions, refDepth, forceNullable: true, outer: schema);
            return;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            // `true`/`{}`-style schemas: anything goes; Gemini needs an object.
            writer.WriteStartObject();
            writer.WriteEndObject();
            return;
        }

        if (schema.TryGetProperty("$ref", out var reference) && reference.ValueKind == JsonValueKind.String)
        {
            if (refDepth < MaxRefDepth && Resolve(reference.GetString()!, definitions) is { } target)
            {
                WriteSchema(writer, target, definitions, refDepth + 1, forceNullable, outer);
            }
            else
            {
                writer.WriteStartObject();
                writer.WriteString("type", "object");
                writer.WriteEndObject();
            }

            return;
        }

        writer.WriteStartObject();
        if (outer.ValueKind == JsonValueKind.Object)
        {
            foreach (var name in (ReadOnlySpan<string>)["title", "description"])
            {
                if (outer.TryGetProperty(name, out var value) && !schema.TryGetProperty(name, out _))
                {
                    writer.WritePropertyName(name);
                    value.WriteTo(writer);
                }
            }
        }

        var nullable = forceNullable;
        string? type = null;
        if (schema.TryGetProperty("type", out var typeElement))
        {
            if (typeElement.ValueKind == JsonValueKind.String)
            {
                type = typeElement.GetString();
            }
            else if (typeElement.ValueKind == JsonValueKind.Array)
            {
                foreach (var item in typeElement.EnumerateArray())
                {
                    var name = item.GetString();
                    if (name == "null")
                    {
                        nullable = true;
                    }
                    else
                    {
                        type ??= name;
                    }
                }
            }
        }

        if (type is not null && type != "null")
        {
            writer.WriteString("type", type);
        }

        if (nullable && !schema.TryGetProperty("nullable", out _))
        {
            writer.WriteBoolean("nullable", true);
        }

        foreach (var property in schema.EnumerateObject())
        {
            switch (property.Name)
            {
                case "format" when property.Value.ValueKind == JsonValueKind.String && s_formats.Contains(property.Value.GetString()!):
                    property.WriteTo(writer);
                    break;
                case "enum" when property.Value.ValueKind == JsonValueKind.Array && property.Value.EnumerateArray().All(static v => v.ValueKind == JsonValueKind.String):
                    property.WriteTo(writer);
                    break;
                case "const" when property.Value.ValueKind == JsonValueKind.String && !schema.TryGetProperty("enum", out _):
                    writer.WriteStartArray("enum");
                    property.Value.WriteTo(writer);
                    writer.WriteEndArray();
                    break;
                case "items":
                    writer.WritePropertyName("items");
                    WriteSchema(writer, property.Value.ValueKind == JsonValueKind.Array && property.Value.GetArrayLength() > 0 ? property.Value[0] : property.Value, definitions, refDepth);
                    break;
                case "properties" when property.Value.ValueKind == JsonValueKind.Object:
                    writer.WriteStartObject("properties");
                    foreach (var child in property.Value.EnumerateObject())
                    {
                        writer.WritePropertyName(child.Name);
                        WriteSchema(writer, child.Value, definitions, refDepth);
                    }

                    writer.WriteEndObject();
                    break;
                case "required" when property.Value.ValueKind == JsonValueKind.Array:
                    property.WriteTo(writer);
                    break;
                case "anyOf" or "oneOf" when property.Value.ValueKind == JsonValueKind.Array:
                    if (property.Name == "oneOf" && schema.TryGetProperty("anyOf", out _))
                    {
                        break;
                    }

                    writer.WriteStartArray("anyOf");
                    foreach (var option in property.Value.EnumerateArray())
                    {
                        WriteSchema(writer, option, definitions, refDepth);
                    }

                    writer.WriteEndArray();
                    break;
                default:
                    if (s_copied.Contains(property.Name))
                    {
                        property.WriteTo(writer);
                    }

                    break;
            }
        }

        writer.WriteEndObject();
    }

    /// <summary>The X of a schema that is exactly <c>anyOf</c>/<c>oneOf</c> <c>[X, {"type":"null"}]</c>, else null.</summary>
    private static JsonElement? NullableAlternative(JsonElement schema)
    {
        if (schema.ValueKind != JsonValueKind.Object || schema.TryGetProperty("type", out _))
        {
            return null;
        }

        var options = schema.TryGetProperty("anyOf", out var anyOf) ? anyOf : schema.TryGetProperty("oneOf", out var oneOf) ? oneOf : default;
        if (options.ValueKind != JsonValueKind.Array || options.GetArrayLength() != 2)
        {
            return null;
        }

        static bool IsNull(JsonElement option) =>
            option.ValueKind == JsonValueKind.Object && option.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String && t.GetString() == "null";

        return IsNull(options[0]) ? options[1] : IsNull(options[1]) ? options[0] : null;
    }

    private static JsonElement? Resolve(string reference, JsonElement? definitions)
    {
        if (definitions is not { ValueKind: JsonValueKind.Object } defs)
        {
            return null;
        }

        var slash = reference.LastIndexOf('/');
        if (!(reference.StartsWith("#/$defs/", StringComparison.Ordinal) || reference.StartsWith("#/definitions/", StringComparison.Ordinal)) || slash < 0)
        {
            return null;
        }

        return defs.TryGetProperty(reference[(slash + 1)..], out var target) ? target : null;
    }
}
