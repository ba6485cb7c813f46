using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace LlmGateway.Internal;

/// <summary>
/// Runs before the configuration is bound: a value that cannot be bound (a limit of <c>abc</c>, a number beyond its
/// type's range) fails the options with every such value and every unknown key named by its full path, rather than
/// letting the binder drop a configured key or stop at the first bad value.
/// </summary>
/// <remarks>
/// Throwing <see cref="OptionsValidationException"/> here makes a bad start-up configuration stop the start
/// (<c>ValidateOnStart</c>), and a bad reload keep the last good configuration (the route table and the key registry
/// both keep their last good snapshot and log why), exactly as for any other validation error.
/// </remarks>
internal sealed class ConfigurationValueCheck(IConfiguration section, IEnumerable<ILlmProviderFactory>? factories = null) : IConfigureOptions<LlmGatewayOptions>
{
    public void Configure(LlmGatewayOptions options)
    {
        var unknownKeys = new List<string>();
        var badValues = new List<string>();
        ConfigurationShape.Check(section, unknownKeys, badValues, factories);
        if (badValues.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(LlmGatewayOptions), [.. badValues, .. unknownKeys]);
        }
    }
}
