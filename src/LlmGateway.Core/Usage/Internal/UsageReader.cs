namespace LlmGateway.Internal;

/// <summary>
/// Reads the <c>usage</c> an upstream reported, in OpenAI's formats: a chat completion or embeddings body
/// (<c>prompt_tokens</c>, <c>completion_tokens</c>, <c>prompt_tokens_details.cached_tokens</c>,
/// <c>completion_tokens_details.reasoning_tokens</c>), a Responses object (<c>input_tokens</c>, <c>output_tokens</c>,
/// <c>input_tokens_details.cached_tokens</c>, <c>output_tokens_details.reasoning_tokens</c>), a chat stream chunk, a
/// Responses stream event. STUB: implemented by the usage work.
/// </summary>
internal static class UsageReader
{
    /// <summary>The usage of a whole response body (chat completion, embeddings, Responses object), or null.</summary>
    public static UsageCounts? FromBody(ReadOnlySpan<byte> json) => throw new NotImplementedException();

    /// <summary>The usage in one chat stream chunk's data, or null; <paramref name="isUsageOnly"/> when the chunk is the
    /// one <c>stream_options.include_usage</c> adds (an empty <c>choices</c> array and a <c>usage</c> object).</summary>
    public static UsageCounts? FromChunk(ReadOnlySpan<byte> data, out bool isUsageOnly) => throw new NotImplementedException();

    /// <summary>The usage in a Responses stream event (<c>response.completed</c>, <c>response.incomplete</c>,
    /// <c>response.failed</c> carry <c>response.usage</c>), or null.</summary>
    public static UsageCounts? FromResponsesEvent(ReadOnlySpan<byte> data) => throw new NotImplementedException();
}

/// <summary>Cost of a call from the catalog's prices per million tokens. STUB.</summary>
internal static class UsageCost
{
    /// <summary>Uncached input at <c>InputPrice</c>, cached input at <c>CachedInputPrice</c> (else <c>InputPrice</c>),
    /// output (reasoning included) at <c>OutputPrice</c>; 0 for what has no price.</summary>
    public static decimal Of(UsageCounts usage, ModelCatalogOptions? facts) => throw new NotImplementedException();
}

/// <summary>
/// Estimates a request's prompt tokens before the call, for token rate limits (Microsoft.ML.Tokenizers, o200k_base:
/// exact for current OpenAI models, an estimate for Gemini), and reads the output budget it asks for. STUB.
/// </summary>
internal sealed class TokenEstimator
{
    /// <summary>Estimated prompt tokens of an OpenAI-format body: chat (<c>messages</c>, <c>tools</c>), embeddings
    /// (<c>input</c>), Responses (<c>input</c>, <c>instructions</c>, <c>tools</c>); 0 for other operations.</summary>
    public int EstimatePromptTokens(ReadOnlySpan<byte> body, GatewayOperation operation) => throw new NotImplementedException();

    /// <summary>The output budget the body asks for: <c>max_completion_tokens</c>, <c>max_tokens</c> or
    /// <c>max_output_tokens</c>; null when it sets none.</summary>
    public static int? RequestedOutputTokens(ReadOnlySpan<byte> body) => throw new NotImplementedException();
}
