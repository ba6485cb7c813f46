namespace LlmGateway.Internal;

/// <summary>Token counts of one call, as the upstream reported them (or estimated, when it did not).</summary>
internal readonly record struct UsageCounts(long PromptTokens, long CompletionTokens, long CachedTokens, long ReasoningTokens)
{
    public long TotalTokens => PromptTokens + CompletionTokens;
}
