using System.Text.Json.Nodes;
using static LlmGateway.StandInUpstream.Gemini.GeminiJson;

namespace LlmGateway.StandInUpstream.Gemini;

/// <summary>
/// Gemini's two schema dialects, kept in one place.
/// <list type="bullet">
/// <item><c>Schema</c> (<c>functionDeclarations[].parameters</c> / <c>.response</c>, <c>generationConfig.responseSchema</c>):
/// a proto message, "a select subset of an OpenAPI 3.0 schema object". Any other keyword (<c>additionalProperties</c>,
/// <c>$schema</c>, <c>$ref</c>, <c>const</c>, <c>oneOf</c>, <c>exclusiveMinimum</c>, …) is an unknown proto field and the
/// request is rejected with <c>Invalid JSON payload received. Unknown name "…" at '…': Cannot find field.</c></item>
/// <item>JSON Schema (<c>parametersJsonSchema</c>, <c>responseJsonSchema</c>): a free-form <c>google.protobuf.Value</c>;
/// any JSON is accepted, only <see cref="JsonSchemaSupported"/> is said to be honoured.</item>
/// </list>
/// Sources: https://ai.google.dev/api/caching#Schema; the v1beta <c>Schema</c> message as published in
/// @google-ai/generativelanguage (https://docs.cloud.google.com/nodejs/docs/reference/generativelanguage/latest/generativelanguage/protos.google.ai.generativelanguage.v1beta.ischema);
/// googleapis/googleapis google/ai/generativelanguage/v1beta/generative_service.proto (response_json_schema comment).
/// </summary>
internal static class GeminiSchema
{
    /// <summary>The fields of the <c>Schema</c> message: the only keywords <c>parameters</c> and <c>responseSchema</c> accept.</summary>
    public static IReadOnlyList<FieldSpec> Keywords { get; } =
    [
        new("type", FieldKind.Enum, EnumName: "Type"),
        new("format", FieldKind.String),
        new("title", FieldKind.String),
        new("description", FieldKind.String),
        new("nullable", FieldKind.Bool),
        new("enum", FieldKind.String, Repeated: true),
        new("maxItems", FieldKind.Int),
        new("minItems", FieldKind.Int),
        new("properties", FieldKind.Message, Map: true, TypeName: "Schema"),
        new("required", FieldKind.String, Repeated: true),
        new("minProperties", FieldKind.Int),
        new("maxProperties", FieldKind.Int),
        new("minLength", FieldKind.Int),
        new("maxLength", FieldKind.Int),
        new("pattern", FieldKind.String),
        new("example", FieldKind.Opaque),
        new("anyOf", FieldKind.Message, Repeated: true, TypeName: "Schema"),
        new("propertyOrdering", FieldKind.String, Repeated: true),
        new("default", FieldKind.Opaque),
        new("items", FieldKind.Message, TypeName: "Schema"),
        new("minimum", FieldKind.Number),
        new("maximum", FieldKind.Number),
    ];

    /// <summary>
    /// The JSON Schema keywords <c>responseJsonSchema</c> is documented to support (generative_service.proto). Others are
    /// accepted on the wire; the docs do not say whether they are ignored or enforced, so the stand-in ignores them.
    /// </summary>
    public static IReadOnlyList<string> JsonSchemaSupported { get; } =
    [
        "$id", "$defs", "$ref", "$anchor", "type", "format", "title", "description", "enum", "items", "prefixItems",
        "minItems", "maxItems", "minimum", "maximum", "anyOf", "oneOf", "properties", "additionalProperties", "required",
        "propertyOrdering",
    ];

    /// <summary>
    /// Checks the proto <c>Schema</c> beyond its field names, adding Gemini's "* path: problem" lines. The three rules
    /// are reported from the field (the docs state none of them): an OBJECT needs at least one property, every
    /// <c>required</c> name must be a property, and an ARRAY needs <c>items</c>.
    /// </summary>
    public static void Validate(JsonNode? schema, string path, List<string> problems, int depth = 0)
    {
        if (schema is not JsonObject || depth > 32)
        {
            return;
        }

        var properties = Field(schema, "properties") as JsonObject;
        if (string.Equals(StringField(schema, "type"), "OBJECT", StringComparison.OrdinalIgnoreCase) && (properties is null || properties.Count == 0))
        {
            problems.Add($"* {path}.properties: should be non-empty for OBJECT type\n");
        }

        if (string.Equals(StringField(schema, "type"), "ARRAY", StringComparison.OrdinalIgnoreCase) && Field(schema, "items") is null)
        {
            problems.Add($"* {path}.items: missing field.\n");
        }

        var required = Strings(Field(schema, "required"));
        for (var i = 0; i < required.Count; i++)
        {
            if (properties is null || !properties.ContainsKey(required[i]))
            {
                problems.Add($"* {path}.required[{i}]: property is not defined\n");
            }
        }

        if (properties is not null)
        {
            foreach (var (name, property) in properties)
            {
                Validate(property, $"{path}.properties[{name}]", problems, depth + 1);
            }
        }

        Validate(Field(schema, "items"), $"{path}.items", problems, depth + 1);
        var anyOf = Items(Field(schema, "anyOf")).ToList();
        for (var i = 0; i < anyOf.Count; i++)
        {
            Validate(anyOf[i], $"{path}.any_of[{i}]", problems, depth + 1);
        }
    }

    /// <summary>
    /// A value that satisfies a schema in either dialect: the first enum value, strings "test", numbers 1 / 1.5,
    /// true, one-element arrays; objects get their required properties (or, when <paramref name="requiredOnly"/> is
    /// false and nothing is required, every property).
    /// </summary>
    public static JsonNode? Sample(JsonNode? schema, bool requiredOnly, JsonNode? root = null, int depth = 0)
    {
        root ??= schema;
        if (schema is not JsonObject obj || depth > 8)
        {
            return "test";
        }

        if (String(obj["$ref"]) is { } reference)
        {
            return Sample(Resolve(root, reference), requiredOnly, root, depth + 1);
        }

        if (Field(obj, "enum") is { } enumValues && Items(enumValues).FirstOrDefault() is { } first)
        {
            return first.DeepClone();
        }

        if (Items(Field(obj, "anyOf")).Concat(Items(obj["oneOf"])).FirstOrDefault(IsNotNullSchema) is { } alternative)
        {
            return Sample(alternative, requiredOnly, root, depth + 1);
        }

        var properties = Field(obj, "properties") as JsonObject;
        var type = TypeOf(obj) ?? (properties is not null ? "OBJECT" : Field(obj, "items") is not null ? "ARRAY" : "STRING");
        switch (type)
        {
            case "INTEGER":
                return 1;
            case "NUMBER":
                return 1.5;
            case "BOOLEAN":
                return true;
            case "NULL":
                return null;
            case "ARRAY":
                return new JsonArray(Sample(Field(obj, "items"), requiredOnly, root, depth + 1));
            case "OBJECT":
                var result = new JsonObject();
                if (properties is null)
                {
                    return result;
                }

                var required = Strings(Field(obj, "required"));
                IEnumerable<string> names = required.Count > 0 || requiredOnly ? required : properties.Select(p => p.Key);
                foreach (var name in names.Where(properties.ContainsKey))
                {
                    result[name] = Sample(properties[name], requiredOnly, root, depth + 1);
                }

                return result;
            default:
                return string.Equals(StringField(obj, "format"), "date-time", StringComparison.Ordinal)
                    ? "2025-01-01T00:00:00Z"
                    : "test";
        }
    }

    /// <summary>The type in upper case; JSON Schema's <c>["string","null"]</c> gives its first non-null member.</summary>
    private static string? TypeOf(JsonObject schema)
    {
        var type = Field(schema, "type");
        var name = type is JsonArray list
            ? list.Select(String).FirstOrDefault(t => !string.Equals(t, "null", StringComparison.OrdinalIgnoreCase))
            : String(type);
        return name?.ToUpperInvariant();
    }

    private static bool IsNotNullSchema(JsonNode? schema) =>
        schema is JsonObject obj && !string.Equals(TypeOf(obj), "NULL", StringComparison.Ordinal);

    private static JsonNode? Resolve(JsonNode? root, string reference)
    {
        // Only local references (#/$defs/Name, #/definitions/Name) are followed.
        if (!reference.StartsWith("#/", StringComparison.Ordinal))
        {
            return null;
        }

        var node = root;
        foreach (var segment in reference[2..].Split('/'))
        {
            node = node is JsonObject obj ? obj[segment.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal)] : null;
        }

        return node;
    }
}
