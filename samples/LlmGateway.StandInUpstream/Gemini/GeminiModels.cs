using System.Text.Json.Nodes;

namespace LlmGateway.StandInUpstream.Gemini;

/// <summary>
/// A model as <c>GET /v1beta/models</c> lists it (https://ai.google.dev/api/models#Model; fields from
/// googleapis/googleapis google/ai/generativelanguage/v1beta/model.proto). Limits and sampling defaults are
/// illustrative values taken from the model pages, not authoritative.
/// </summary>
internal sealed record GeminiModel(
    string Id,
    string DisplayName,
    string Description,
    string Version,
    int InputTokenLimit,
    int OutputTokenLimit,
    string[] Methods,
    bool Thinking = false,
    double? Temperature = null,
    double? TopP = null,
    int? TopK = null,
    double? MaxTemperature = null,
    int EmbeddingDimensions = 0)
{
    public bool IsEmbedding => EmbeddingDimensions > 0;

    public bool IsTts => Id.Contains("tts", StringComparison.Ordinal);

    /// <summary>Gemini 3 validates thought signatures on function calls (https://ai.google.dev/gemini-api/docs/thought-signatures).</summary>
    public bool IsGemini3 => Id.StartsWith("gemini-3", StringComparison.Ordinal);

    /// <summary>2.5 Pro cannot turn thinking off (https://ai.google.dev/gemini-api/docs/thinking: budget 0 is Flash/Flash-Lite only).</summary>
    public bool ThinkingAlwaysOn => Thinking && Id.Contains("pro", StringComparison.Ordinal);

    public JsonObject ToJson()
    {
        var model = new JsonObject
        {
            ["name"] = "models/" + Id,
            ["version"] = Version,
            ["displayName"] = DisplayName,
            ["description"] = Description,
            ["inputTokenLimit"] = InputTokenLimit,
            ["outputTokenLimit"] = OutputTokenLimit,
            ["supportedGenerationMethods"] = new JsonArray([.. Methods.Select(m => (JsonNode?)m)]),
        };
        if (Temperature is { } temperature)
        {
            model["temperature"] = temperature;
        }

        if (TopP is { } topP)
        {
            model["topP"] = topP;
        }

        if (TopK is { } topK)
        {
            model["topK"] = topK;
        }

        if (MaxTemperature is { } maxTemperature)
        {
            model["maxTemperature"] = maxTemperature;
        }

        if (Thinking)
        {
            model["thinking"] = true;
        }

        return model;
    }
}

internal static class GeminiModels
{
    private static readonly string[] ChatMethods = ["generateContent", "countTokens", "createCachedContent", "batchGenerateContent"];

    public static IReadOnlyList<GeminiModel> All { get; } =
    [
        new("gemini-2.5-flash", "Gemini 2.5 Flash", "Stable version of Gemini 2.5 Flash.", "001", 1_048_576, 65_536, ChatMethods, Thinking: true, Temperature: 1, TopP: 0.95, TopK: 64, MaxTemperature: 2),
        new("gemini-2.5-pro", "Gemini 2.5 Pro", "Stable release of Gemini 2.5 Pro.", "2.5", 1_048_576, 65_536, ChatMethods, Thinking: true, Temperature: 1, TopP: 0.95, TopK: 64, MaxTemperature: 2),
        new("gemini-2.0-flash", "Gemini 2.0 Flash", "Gemini 2.0 Flash", "2.0", 1_048_576, 8_192, ChatMethods, Temperature: 1, TopP: 0.95, TopK: 40, MaxTemperature: 2),
        new("gemini-3-pro-preview", "Gemini 3 Pro Preview", "Gemini 3 Pro Preview", "3-pro-preview", 1_048_576, 65_536, ChatMethods, Thinking: true, Temperature: 1, TopP: 0.95, TopK: 64, MaxTemperature: 2),
        new("gemini-2.5-flash-preview-tts", "Gemini 2.5 Flash Preview TTS", "Gemini 2.5 Flash Preview TTS", "gemini-2.5-flash-exp-tts-2025-05-19", 8_192, 16_384, ["countTokens", "generateContent", "batchGenerateContent"], Temperature: 1, TopP: 0.95, TopK: 64, MaxTemperature: 2),
        new("text-embedding-004", "Text Embedding 004", "Obtain a distributed representation of a text.", "004", 2_048, 1, ["embedContent"], EmbeddingDimensions: 768),
        new("gemini-embedding-001", "Gemini Embedding 001", "Obtain a distributed representation of a text.", "001", 2_048, 1, ["embedContent", "countTextTokens", "countTokens"], EmbeddingDimensions: 3072),
    ];

    /// <summary>
    /// The model a request names, for a method. Listed ids are answered as listed; other ids of Gemini's families are
    /// accepted so newer names can be tried (a "2.5"/"gemini-3" id thinks, "tts" speaks, "embedding" embeds). Anything
    /// else, or a model used for a method it does not support, is Gemini's 404.
    /// </summary>
    public static GeminiModel Resolve(string id, string method)
    {
        var model = Find(id) ?? Infer(id);
        var embedding = method is "embedContent" or "batchEmbedContents";
        if (model is null || model.IsEmbedding != embedding)
        {
            // Message as Gemini sends it (quoted in many reports, e.g. https://github.com/google/adk-python/issues/200).
            throw GeminiException.NotFound(
                $"models/{id} is not found for API version v1beta, or is not supported for {method}. Call ListModels to see the list of available models and their supported methods.");
        }

        return model;
    }

    public static GeminiModel? Find(string id) => All.FirstOrDefault(m => string.Equals(m.Id, id, StringComparison.Ordinal));

    private static GeminiModel? Infer(string id)
    {
        if (id.Contains("embedding", StringComparison.Ordinal))
        {
            var dimensions = id.StartsWith("gemini-", StringComparison.Ordinal) ? 3072 : 768;
            return new(id, id, id, "001", 2_048, 1, ["embedContent"], EmbeddingDimensions: dimensions);
        }

        if (!id.StartsWith("gemini-", StringComparison.Ordinal) && !id.StartsWith("gemma-", StringComparison.Ordinal))
        {
            return null;
        }

        var tts = id.Contains("tts", StringComparison.Ordinal);
        var thinking = !tts && (id.Contains("2.5", StringComparison.Ordinal) || id.StartsWith("gemini-3", StringComparison.Ordinal));
        return new(id, id, id, "001", 1_048_576, 65_536, ChatMethods, Thinking: thinking, Temperature: 1, TopP: 0.95, TopK: 64, MaxTemperature: 2);
    }
}
