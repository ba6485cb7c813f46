namespace LlmGateway.Internal;

/// <summary>
/// Implemented by the built-in providers so readiness can tell an instance that cannot be called as configured (no
/// API key where its upstream needs one) from one that can. Other providers are assumed callable.
/// </summary>
internal interface IProviderReadiness
{
    /// <summary>Gets why the instance cannot be called with its configured settings (naming the setting, never a
    /// value), or null when it can.</summary>
    string? NotConfiguredReason { get; }
}
