using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace LlmGateway.Internal;

/// <summary>
/// Binds each provider instance's section, <c>LlmGateway:Providers:&lt;name&gt;</c>, to the options class of its
/// type (<see cref="ILlmProviderFactory.OptionsType"/>), replacing the plain <see cref="ProviderOptions"/> the binder
/// made. Runs right after the binder, before any options set in code.
/// </summary>
internal sealed class ProviderOptionsBinding(IConfiguration section, IEnumerable<ILlmProviderFactory> factories) : IConfigureOptions<LlmGatewayOptions>
{
    public void Configure(LlmGatewayOptions options)
    {
        foreach (var instance in section.GetSection(nameof(LlmGatewayOptions.Providers)).GetChildren())
        {
            var type = OptionsTypeOf(instance, factories);
            if (type == typeof(ProviderOptions) || !options.Providers.TryGetValue(instance.Key, out var bound) || bound.GetType() == type)
            {
                continue;
            }

            var typed = (ProviderOptions)Activator.CreateInstance(type)!;
            instance.Bind(typed);
            options.Providers[instance.Key] = typed;
        }
    }

    /// <summary>The options class an instance's section binds to: its type's (named by <c>Type</c>, or inferred from
    /// the instance name), or <see cref="ProviderOptions"/> when no registered factory serves it.</summary>
    public static Type OptionsTypeOf(IConfigurationSection instance, IEnumerable<ILlmProviderFactory> factories)
    {
        var typeName = instance[nameof(ProviderOptions.Type)] is { Length: > 0 } named ? named : EnvironmentFallbackPostConfigure.InferType(instance.Key);
        if (typeName is null)
        {
            return typeof(ProviderOptions);
        }

        foreach (var factory in factories)
        {
            if (string.Equals(factory.Type, typeName, StringComparison.OrdinalIgnoreCase))
            {
                var type = factory.OptionsType;
                return type is not null && typeof(ProviderOptions).IsAssignableFrom(type) && !type.IsAbstract && type.GetConstructor(Type.EmptyTypes) is not null
                    ? type
                    : throw new InvalidOperationException($"The OptionsType of provider type '{factory.Type}' ({type}) must be ProviderOptions or a non-abstract class derived from it with a public parameterless constructor.");
            }
        }

        return typeof(ProviderOptions);
    }
}
