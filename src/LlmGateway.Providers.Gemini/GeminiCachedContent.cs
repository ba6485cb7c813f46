namespace LlmGateway;

/// <summary>A Gemini context cache (a <c>cachedContents</c> resource).</summary>
/// <param name="Name">The resource name, <c>cachedContents/…</c>: what a chat request names in its <c>cached_content</c> field.</param>
/// <param name="Model">The model the cache belongs to, without the <c>models/</c> prefix.</param>
/// <param name="DisplayName">The display name, if any.</param>
/// <param name="ExpireTime">When the cache expires.</param>
/// <param name="TotalTokenCount">The tokens the cache holds, if Gemini said.</param>
public sealed record GeminiCachedContent(string Name, string? Model, string? DisplayName, DateTimeOffset? ExpireTime, int? TotalTokenCount);
