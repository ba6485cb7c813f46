namespace LlmGateway.Samples.Extending.Anthropic;

/// <summary>
/// The settings of an <c>Anthropic</c> instance: the common ones (<see cref="ProviderOptions"/>) and Anthropic's own,
/// bound from <c>LlmGateway:Providers:&lt;name&gt;</c>. A key this class does not have stops the start with its path.
/// </summary>
public sealed class AnthropicProviderOptions : ProviderOptions
{
    /// <summary>The Messages API version sent as <c>anthropic-version</c> when none is configured.</summary>
    public const string DefaultAnthropicVersion = "2023-06-01";

    /// <summary>The <c>max_tokens</c> sent when none is configured and the request sets none.</summary>
    public const int DefaultDefaultMaxTokens = 1024;

    /// <summary>Gets or sets the Messages API version the instance speaks, sent as <c>anthropic-version</c>.</summary>
    public string AnthropicVersion { get; set; } = DefaultAnthropicVersion;

    /// <summary>Gets or sets the <c>max_tokens</c> sent when the request sets neither <c>max_completion_tokens</c> nor
    /// <c>max_tokens</c>; Anthropic requires one.</summary>
    public int DefaultMaxTokens { get; set; } = DefaultDefaultMaxTokens;
}
