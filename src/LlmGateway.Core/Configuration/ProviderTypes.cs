namespace LlmGateway;

/// <summary>
/// The names of the built-in provider types, as used in <c>LlmGateway:Providers:&lt;name&gt;:Type</c>.
/// Comparisons are case-insensitive. A third-party provider package registers its own type name through
/// <see cref="ILlmProviderFactory.Type"/>.
/// </summary>
public static class ProviderTypes
{
    /// <summary>OpenAI and any OpenAI-compatible server.</summary>
    public const string OpenAI = nameof(OpenAI);

    /// <summary>Google Gemini (the Gemini API).</summary>
    public const string Gemini = nameof(Gemini);
}
