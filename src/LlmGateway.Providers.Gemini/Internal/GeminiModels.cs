using System.Text.Json;

namespace LlmGateway.Gemini.Internal;

/// <summary>Gemini's model list, and a built-in one for when the models API cannot be reached.</summary>
internal static class GeminiModels
{
    public static readonly IReadOnlyList<ModelInfo> BuiltIn =
    [
        new("gemini-2.5-pro", 0, string.Empty),
        new("gemini-2.5-flash", 0, string.Empty),
        new("gemini-2.5-flash-lite", 0, string.Empty),
        new("gemini-2.0-flash", 0, string.Empty),
        new("gemini-2.5-flash-preview-tts", 0, string.Empty),
        new("gemini-embedding-001", 0, string.Empty),
        new("text-embedding-004", 0, string.Empty),
    ];

    /// <summary>Reads <c>{"models":[{"name":"models/gemini-2.5-flash",…}]}</c>; ids lose the <c>models/</c> prefix.</summary>
    public static IEnumerable<ModelInfo> Parse(JsonElement root)
    {
        if (!root.TryGetProperty("models", out var models) || models.ValueKind != JsonValueKind.Array)
        {
            yield break;
        }

        foreach (var model in models.EnumerateArray())
        {
            if (model.TryGetProperty("name", out var name) && name.ValueKind == JsonValueKind.String)
            {
                var id = name.GetString()!;
                yield return new ModelInfo(id.StartsWith("models/", StringComparison.Ordinal) ? id["models/".Length..] : id, 0, string.Empty);
            }
        }
    }
}
