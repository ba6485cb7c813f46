namespace LlmGateway;

/// <summary>
/// Creates provider instances of one type. Provider packages register one with
/// <c>TryAddEnumerable(ServiceDescriptor.Singleton&lt;ILlmProviderFactory, …&gt;())</c>.
/// </summary>
public interface ILlmProviderFactory
{
    /// <summary>Gets the provider type this factory serves, as written in <c>LlmGateway:Providers:&lt;name&gt;:Type</c>.</summary>
    string Type { get; }

    /// <summary>
    /// Gets the options class of this type's instances: <see cref="ProviderOptions"/> (the default), or a class derived
    /// from it with public settable properties for the type's own settings and a public parameterless constructor.
    /// Each instance's section, <c>LlmGateway:Providers:&lt;name&gt;</c>, is bound to it, and a key there that is none
    /// of its properties is refused at start-up with its full path. <see cref="Validate"/> and <see cref="Create"/> get
    /// an instance of it for instances from configuration; options set in code may be either class.
    /// </summary>
    Type OptionsType => typeof(ProviderOptions);

    /// <summary>Validates the settings of one instance of this type.</summary>
    /// <param name="name">The instance name.</param>
    /// <param name="options">The instance's settings, after the environment fallbacks.</param>
    /// <returns>The problems found, each naming its configuration key; empty when there are none.</returns>
    IEnumerable<string> Validate(string name, ProviderOptions options);

    /// <summary>Creates an instance.</summary>
    /// <param name="name">The instance name.</param>
    /// <param name="options">The instance's settings, validated.</param>
    /// <param name="gatewayOptions">The gateway-wide settings (timeouts) of the same snapshot.</param>
    /// <returns>The instance.</returns>
    ILlmProvider Create(string name, ProviderOptions options, LlmGatewayOptions gatewayOptions);
}
