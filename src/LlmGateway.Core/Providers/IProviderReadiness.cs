namespace LlmGateway;

/// <summary>
/// Implemented by a provider instance (an <see cref="ILlmProvider"/>) that can tell it cannot be called as configured
/// (no API key where its upstream needs one), so the readiness check (<c>/health/ready</c>) fails for it. A provider
/// that does not implement it is assumed callable.
/// </summary>
public interface IProviderReadiness
{
    /// <summary>Gets why the instance cannot be called with its configured settings (naming the setting, never a
    /// value), or null when it can.</summary>
    string? NotConfiguredReason { get; }
}
