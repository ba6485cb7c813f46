namespace LlmGateway.Internal;

/// <summary>
/// The built-in catalog: which provider type serves a bare model id, by the id's prefix.
/// </summary>
internal static class ModelCatalog
{
    // (prefix, exact match only, type). Order does not matter: no prefix of one type is a prefix of another's.
    private static readonly (string Prefix, bool Exact, string Type)[] s_rules =
    [
        ("gpt-", false, ProviderTypes.OpenAI),
        ("chatgpt-", false, ProviderTypes.OpenAI),
        ("o1", false, ProviderTypes.OpenAI),
        ("o3", false, ProviderTypes.OpenAI),
        ("o4", false, ProviderTypes.OpenAI),
        ("codex-", false, ProviderTypes.OpenAI),
        ("text-embedding-3-", false, ProviderTypes.OpenAI),
        ("text-embedding-ada-002", true, ProviderTypes.OpenAI),
        ("whisper-1", true, ProviderTypes.OpenAI),
        ("tts-1", false, ProviderTypes.OpenAI),
        ("dall-e-", false, ProviderTypes.OpenAI),
        ("omni-moderation-", false, ProviderTypes.OpenAI),
        ("text-moderation-", false, ProviderTypes.OpenAI),
        ("gemini-", false, ProviderTypes.Gemini),
        ("text-embedding-004", true, ProviderTypes.Gemini),
        ("gemma-", false, ProviderTypes.Gemini),
    ];

    /// <summary>Gets the provider type of a bare model id, or null when the catalog does not know it.</summary>
    public static string? GetProviderType(string model)
    {
        foreach (var (prefix, exact, type) in s_rules)
        {
            if (exact ? model.Equals(prefix, StringComparison.OrdinalIgnoreCase) : model.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return type;
            }
        }

        return null;
    }
}
