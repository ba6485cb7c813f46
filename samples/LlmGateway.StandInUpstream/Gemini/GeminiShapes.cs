using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace LlmGateway.StandInUpstream.Gemini;

internal enum FieldKind
{
    String,
    Int,
    Number,
    Bool,
    Bytes,
    Enum,
    Message,
    Duration,
    Timestamp,

    /// <summary>A <c>google.protobuf.Struct</c>/<c>Value</c> or a message the stand-in does not model: any JSON.</summary>
    Opaque,
}

/// <summary>One field of a request message, under its JSON (lowerCamelCase) name.</summary>
internal sealed record FieldSpec(string Name, FieldKind Kind, bool Repeated = false, bool Map = false, string? TypeName = null, string? EnumName = null);

/// <summary>
/// The request messages as the v1beta protos define them, so the stand-in rejects what Google's JSON parser rejects:
/// unknown names, and values of the wrong JSON type. Field lists: googleapis/googleapis
/// google/ai/generativelanguage/v1beta/{generative_service,content,cached_content}.proto and
/// https://ai.google.dev/api (generate-content, caching, embeddings). Newer fields the stand-in does not act on are
/// listed as <see cref="FieldKind.Opaque"/> so they are accepted. The error texts (<c>Invalid JSON payload received.
/// Unknown name "x" at 'path': Cannot find field.</c>, <c>Invalid value at 'path' (TYPE_INT32), "abc"</c>,
/// <c>Base64 decoding failed</c>) are not in the docs; they are as quoted in field reports. Paths use proto
/// (snake_case) names, list indexes, and <c>[i].value</c> for the i-th entry of a map.
/// </summary>
internal static partial class GeminiShapes
{
    private const string TypePrefix = "type.googleapis.com/google.ai.generativelanguage.v1beta.";

    private static readonly Dictionary<string, string[]> Enums = new(StringComparer.Ordinal)
    {
        ["Type"] = ["TYPE_UNSPECIFIED", "STRING", "NUMBER", "INTEGER", "BOOLEAN", "ARRAY", "OBJECT", "NULL"],
        ["GenerationConfig.Modality"] = ["MODALITY_UNSPECIFIED", "TEXT", "IMAGE", "AUDIO"],
        ["GenerationConfig.MediaResolution"] = ["MEDIA_RESOLUTION_UNSPECIFIED", "MEDIA_RESOLUTION_LOW", "MEDIA_RESOLUTION_MEDIUM", "MEDIA_RESOLUTION_HIGH"],
        ["FunctionCallingConfig.Mode"] = ["MODE_UNSPECIFIED", "AUTO", "ANY", "NONE", "VALIDATED"],
        ["FunctionDeclaration.Behavior"] = ["UNSPECIFIED", "BLOCKING", "NON_BLOCKING"],
        ["ThinkingConfig.ThinkingLevel"] = ["THINKING_LEVEL_UNSPECIFIED", "MINIMAL", "LOW", "MEDIUM", "HIGH"],
        ["TaskType"] =
        [
            "TASK_TYPE_UNSPECIFIED", "RETRIEVAL_QUERY", "RETRIEVAL_DOCUMENT", "SEMANTIC_SIMILARITY", "CLASSIFICATION",
            "CLUSTERING", "QUESTION_ANSWERING", "FACT_VERIFICATION", "CODE_RETRIEVAL_QUERY",
        ],
    };

    private static readonly Dictionary<string, IReadOnlyList<FieldSpec>> Messages = new(StringComparer.Ordinal)
    {
        ["GenerateContentRequest"] =
        [
            new("model", FieldKind.String),
            new("contents", FieldKind.Message, Repeated: true, TypeName: "Content"),
            new("systemInstruction", FieldKind.Message, TypeName: "Content"),
            new("tools", FieldKind.Message, Repeated: true, TypeName: "Tool"),
            new("toolConfig", FieldKind.Message, TypeName: "ToolConfig"),
            new("safetySettings", FieldKind.Message, Repeated: true, TypeName: "SafetySetting"),
            new("generationConfig", FieldKind.Message, TypeName: "GenerationConfig"),
            new("cachedContent", FieldKind.String),
        ],
        ["Content"] =
        [
            new("parts", FieldKind.Message, Repeated: true, TypeName: "Part"),
            new("role", FieldKind.String),
        ],
        ["Part"] =
        [
            new("text", FieldKind.String),
            new("inlineData", FieldKind.Message, TypeName: "Blob"),
            new("functionCall", FieldKind.Message, TypeName: "FunctionCall"),
            new("functionResponse", FieldKind.Message, TypeName: "FunctionResponse"),
            new("fileData", FieldKind.Message, TypeName: "FileData"),
            new("executableCode", FieldKind.Opaque),
            new("codeExecutionResult", FieldKind.Opaque),
            new("thought", FieldKind.Bool),
            new("thoughtSignature", FieldKind.Bytes),
            new("videoMetadata", FieldKind.Opaque),
            new("partMetadata", FieldKind.Opaque),
            new("mediaResolution", FieldKind.Opaque),
        ],
        ["Blob"] = [new("mimeType", FieldKind.String), new("data", FieldKind.Bytes)],
        ["FileData"] = [new("mimeType", FieldKind.String), new("fileUri", FieldKind.String)],
        ["FunctionCall"] = [new("id", FieldKind.String), new("name", FieldKind.String), new("args", FieldKind.Opaque)],
        ["FunctionResponse"] =
        [
            new("id", FieldKind.String),
            new("name", FieldKind.String),
            new("response", FieldKind.Opaque),
            new("parts", FieldKind.Opaque),
            new("willContinue", FieldKind.Bool),
            new("scheduling", FieldKind.Opaque),
        ],
        ["Tool"] =
        [
            new("functionDeclarations", FieldKind.Message, Repeated: true, TypeName: "FunctionDeclaration"),
            new("googleSearchRetrieval", FieldKind.Opaque),
            new("codeExecution", FieldKind.Opaque),
            new("googleSearch", FieldKind.Opaque),
            new("urlContext", FieldKind.Opaque),
            new("computerUse", FieldKind.Opaque),
            new("fileSearch", FieldKind.Opaque),
            new("googleMaps", FieldKind.Opaque),
        ],
        ["FunctionDeclaration"] =
        [
            new("name", FieldKind.String),
            new("description", FieldKind.String),
            new("behavior", FieldKind.Enum, EnumName: "FunctionDeclaration.Behavior"),
            new("parameters", FieldKind.Message, TypeName: "Schema"),
            new("parametersJsonSchema", FieldKind.Opaque),
            new("response", FieldKind.Message, TypeName: "Schema"),
            new("responseJsonSchema", FieldKind.Opaque),
        ],
        ["Schema"] = GeminiSchema.Keywords,
        ["ToolConfig"] =
        [
            new("functionCallingConfig", FieldKind.Message, TypeName: "FunctionCallingConfig"),
            new("retrievalConfig", FieldKind.Opaque),
        ],
        ["FunctionCallingConfig"] =
        [
            new("mode", FieldKind.Enum, EnumName: "FunctionCallingConfig.Mode"),
            new("allowedFunctionNames", FieldKind.String, Repeated: true),
        ],
        ["SafetySetting"] = [new("category", FieldKind.String), new("threshold", FieldKind.String)],
        ["GenerationConfig"] =
        [
            new("candidateCount", FieldKind.Int),
            new("stopSequences", FieldKind.String, Repeated: true),
            new("maxOutputTokens", FieldKind.Int),
            new("temperature", FieldKind.Number),
            new("topP", FieldKind.Number),
            new("topK", FieldKind.Int),
            new("seed", FieldKind.Int),
            new("responseMimeType", FieldKind.String),
            new("responseSchema", FieldKind.Message, TypeName: "Schema"),
            new("responseJsonSchema", FieldKind.Opaque),
            new("_responseJsonSchema", FieldKind.Opaque),
            new("presencePenalty", FieldKind.Number),
            new("frequencyPenalty", FieldKind.Number),
            new("responseLogprobs", FieldKind.Bool),
            new("logprobs", FieldKind.Int),
            new("enableEnhancedCivicAnswers", FieldKind.Bool),
            new("responseModalities", FieldKind.Enum, Repeated: true, EnumName: "GenerationConfig.Modality"),
            new("speechConfig", FieldKind.Message, TypeName: "SpeechConfig"),
            new("thinkingConfig", FieldKind.Message, TypeName: "ThinkingConfig"),
            new("imageConfig", FieldKind.Opaque),
            new("mediaResolution", FieldKind.Enum, EnumName: "GenerationConfig.MediaResolution"),
        ],
        ["ThinkingConfig"] =
        [
            new("includeThoughts", FieldKind.Bool),
            new("thinkingBudget", FieldKind.Int),
            new("thinkingLevel", FieldKind.Enum, EnumName: "ThinkingConfig.ThinkingLevel"),
        ],
        ["SpeechConfig"] =
        [
            new("voiceConfig", FieldKind.Message, TypeName: "VoiceConfig"),
            new("multiSpeakerVoiceConfig", FieldKind.Message, TypeName: "MultiSpeakerVoiceConfig"),
            new("languageCode", FieldKind.String),
        ],
        ["VoiceConfig"] = [new("prebuiltVoiceConfig", FieldKind.Message, TypeName: "PrebuiltVoiceConfig")],
        ["PrebuiltVoiceConfig"] = [new("voiceName", FieldKind.String)],
        ["MultiSpeakerVoiceConfig"] = [new("speakerVoiceConfigs", FieldKind.Message, Repeated: true, TypeName: "SpeakerVoiceConfig")],
        ["SpeakerVoiceConfig"] = [new("speaker", FieldKind.String), new("voiceConfig", FieldKind.Message, TypeName: "VoiceConfig")],
        ["EmbedContentRequest"] =
        [
            new("model", FieldKind.String),
            new("content", FieldKind.Message, TypeName: "Content"),
            new("taskType", FieldKind.Enum, EnumName: "TaskType"),
            new("title", FieldKind.String),
            new("outputDimensionality", FieldKind.Int),
        ],
        ["BatchEmbedContentsRequest"] = [new("requests", FieldKind.Message, Repeated: true, TypeName: "EmbedContentRequest")],
        ["CachedContent"] =
        [
            new("name", FieldKind.String),
            new("displayName", FieldKind.String),
            new("model", FieldKind.String),
            new("systemInstruction", FieldKind.Message, TypeName: "Content"),
            new("contents", FieldKind.Message, Repeated: true, TypeName: "Content"),
            new("tools", FieldKind.Message, Repeated: true, TypeName: "Tool"),
            new("toolConfig", FieldKind.Message, TypeName: "ToolConfig"),
            new("ttl", FieldKind.Duration),
            new("expireTime", FieldKind.Timestamp),
            new("createTime", FieldKind.Timestamp),
            new("updateTime", FieldKind.Timestamp),
            new("usageMetadata", FieldKind.Opaque),
        ],
    };

    /// <summary>Throws the 400 Google's parser would answer when <paramref name="body"/> is not a valid <paramref name="message"/>.</summary>
    public static void Check(JsonNode? body, string message)
    {
        var violations = new List<(string? Field, string Description)>();
        CheckMessage(body, message, string.Empty, violations);
        if (violations.Count > 0)
        {
            throw GeminiException.BadRequest(violations);
        }
    }

    private static void CheckMessage(JsonNode? node, string message, string path, List<(string?, string)> violations)
    {
        if (node is not JsonObject obj)
        {
            violations.Add(InvalidValue(path, TypePrefix + message, node));
            return;
        }

        var fields = Messages[message];
        foreach (var (key, value) in obj)
        {
            var field = fields.FirstOrDefault(f => key == f.Name || key == GeminiJson.SnakeCase(f.Name));
            if (field is null)
            {
                var at = path.Length == 0 ? string.Empty : $" at '{path}'";
                violations.Add((path, $"Invalid JSON payload received. Unknown name \"{key}\"{at}: Cannot find field."));
                continue;
            }

            var fieldPath = path.Length == 0 ? GeminiJson.SnakeCase(field.Name) : $"{path}.{GeminiJson.SnakeCase(field.Name)}";
            if (value is null)
            {
                continue; // JSON null leaves a field unset.
            }

            if (field.Map)
            {
                if (value is not JsonObject map)
                {
                    violations.Add(InvalidValue(fieldPath, TypePrefix + field.TypeName, value));
                    continue;
                }

                var index = 0;
                foreach (var (_, entry) in map)
                {
                    CheckValue(entry, field, $"{fieldPath}[{index++}].value", violations);
                }
            }
            else if (field.Repeated && value is JsonArray list)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    CheckValue(list[i], field, $"{fieldPath}[{i}]", violations);
                }
            }
            else
            {
                // A single value for a repeated field is read as a one-element list (older doc examples send
                // "parts": {"text": "…"}); the docs do not state the rule.
                CheckValue(value, field, field.Repeated ? $"{fieldPath}[0]" : fieldPath, violations);
            }
        }
    }

    private static void CheckValue(JsonNode? value, FieldSpec field, string path, List<(string?, string)> violations)
    {
        if (field.Kind == FieldKind.Message)
        {
            CheckMessage(value, field.TypeName!, path, violations);
            return;
        }

        var kind = value?.GetValueKind();
        var text = value is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
        var ok = field.Kind switch
        {
            FieldKind.Opaque => true,
            FieldKind.String => kind == JsonValueKind.String,
            FieldKind.Bool => kind is JsonValueKind.True or JsonValueKind.False,
            FieldKind.Int => GeminiJson.Integer(value) is not null,
            FieldKind.Number => kind == JsonValueKind.Number || double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
            FieldKind.Enum => kind == JsonValueKind.Number || (text is not null && Enums[field.EnumName!].Contains(text, StringComparer.OrdinalIgnoreCase)),
            FieldKind.Duration => text is not null && DurationPattern().IsMatch(text),
            FieldKind.Timestamp => text is not null && DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.None, out _),
            FieldKind.Bytes => text is not null && TryBase64(text, out _),
            _ => false,
        };
        if (ok)
        {
            return;
        }

        if (field.Kind == FieldKind.Bytes && text is not null)
        {
            violations.Add((path, $"Invalid value at '{path}' (TYPE_BYTES), Base64 decoding failed for \"{text}\""));
            return;
        }

        var type = field.Kind switch
        {
            FieldKind.String => "TYPE_STRING",
            FieldKind.Bool => "TYPE_BOOL",
            FieldKind.Int => "TYPE_INT32",
            FieldKind.Number => "TYPE_FLOAT",
            FieldKind.Bytes => "TYPE_BYTES",
            FieldKind.Enum => TypePrefix + field.EnumName,
            FieldKind.Duration => "type.googleapis.com/google.protobuf.Duration",
            FieldKind.Timestamp => "type.googleapis.com/google.protobuf.Timestamp",
            _ => "TYPE_MESSAGE",
        };
        violations.Add(InvalidValue(path, type, value));
    }

    private static (string?, string) InvalidValue(string path, string type, JsonNode? value) =>
        (path, $"Invalid value at '{path}' ({type}), {GeminiJson.Compact(value)}");

    /// <summary>Decodes proto3 JSON bytes: standard or URL-safe base64, padding optional.</summary>
    public static bool TryBase64(string text, out byte[] bytes)
    {
        var normal = text.Replace('-', '+').Replace('_', '/');
        normal = normal.PadRight(normal.Length + ((4 - (normal.Length % 4)) % 4), '=');
        try
        {
            bytes = Convert.FromBase64String(normal);
            return true;
        }
        catch (FormatException)
        {
            bytes = [];
            return false;
        }
    }

    /// <summary>google.protobuf.Duration in JSON: seconds with an "s" suffix, e.g. "300s" or "1.5s".</summary>
    [GeneratedRegex(@"^-?\d+(\.\d{1,9})?s$")]
    public static partial Regex DurationPattern();
}
