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

    /// <summary>
    /// Gets the current model ids of the providers the catalog knows, spelled out: telemetry and usage show these by
    /// name even when they are routed by a prefix. Any other id routed by a prefix shows as
    /// <see cref="RouteTable.UnresolvedModel"/> unless the configuration names it (a <c>Models</c> list, an alias's
    /// targets, <c>LlmGateway:Catalog</c>).
    /// </summary>
    public static IReadOnlyList<string> KnownIds { get; } =
    [
        "gpt-5", "gpt-5-mini", "gpt-5-nano", "gpt-5-chat-latest", "gpt-4.1", "gpt-4.1-mini", "gpt-4.1-nano",
        "gpt-4o", "gpt-4o-mini", "chatgpt-4o-latest", "gpt-4-turbo", "gpt-4", "gpt-3.5-turbo",
        "o1", "o1-mini", "o1-pro", "o3", "o3-mini", "o3-pro", "o4-mini", "codex-mini-latest",
        "gpt-4o-audio-preview", "gpt-4o-mini-audio-preview", "gpt-4o-search-preview", "gpt-4o-mini-search-preview",
        "text-embedding-3-small", "text-embedding-3-large", "text-embedding-ada-002",
        "whisper-1", "gpt-4o-transcribe", "gpt-4o-mini-transcribe", "tts-1", "tts-1-hd", "gpt-4o-mini-tts",
        "dall-e-2", "dall-e-3", "gpt-image-1", "omni-moderation-latest", "text-moderation-latest",
        "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-2.0-flash", "gemini-2.0-flash-lite",
        "gemini-1.5-pro", "gemini-1.5-flash", "gemini-embedding-001", "text-embedding-004",
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
