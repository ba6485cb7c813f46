using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace LlmGateway.Internal;

/// <summary>
/// Reports every configuration key under the <c>LlmGateway</c> section that binds to nothing (a typo such as
/// <c>ApiKeyy</c>), each with its full path, alongside the other validation errors.
/// </summary>
/// <remarks>
/// The binder's own <c>ErrorOnUnknownConfiguration</c> stops at the first unknown key with a message that does not
/// name it; <see cref="ConfigurationShape"/> walks the section against the options' shape instead. Values that cannot
/// be bound never reach this validator: <see cref="ConfigurationValueCheck"/> refuses them before binding.
/// </remarks>
internal sealed class UnknownKeysValidator(IConfiguration section, IEnumerable<ILlmProviderFactory>? factories = null) : IValidateOptions<LlmGatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, LlmGatewayOptions options)
    {
        var unknownKeys = new List<string>();
        ConfigurationShape.Check(section, unknownKeys, badValues: [], factories);
        return unknownKeys.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(unknownKeys);
    }
}
