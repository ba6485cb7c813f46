namespace LlmGateway;

/// <summary>
/// Creates provider instances of one type. Provider packages register one with
/// <c>TryAddEnumerable(ServiceDescriptor.Singleton&lt;ILlmProviderFactory, …&gt;())</c>.
/// </summary>
public interface ILlmProviderFactory
{
    /// <summary>Gets the provider type this factory serves, as written in <c>LlmGateway:Providers:&lt;name&gt;:Type</c>.</summary>
    string Type { get; }

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
