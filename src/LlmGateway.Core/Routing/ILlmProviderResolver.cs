namespace LlmGateway;

/// <summary>Finds a provider instance of the configuration in force by its name, for code that works with one
/// instance directly (a provider's own service, such as Gemini's context caches).</summary>
/// <remarks>Registered by <c>AddLlmGateway</c>; thread-safe. A configuration reload replaces the instances: resolve
/// one per use rather than keeping it.</remarks>
public interface ILlmProviderResolver
{
    /// <summary>Gets the instance named <paramref name="name"/> (case-insensitive).</summary>
    /// <param name="name">The instance name, as in <c>LlmGateway:Providers:&lt;name&gt;</c>.</param>
    /// <returns>The instance, or null when none is configured under that name.</returns>
    ILlmProvider? GetProvider(string name);
}
