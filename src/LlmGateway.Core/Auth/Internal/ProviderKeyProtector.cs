namespace LlmGateway.Internal;

/// <summary>
/// The gateway's use of the registered <see cref="IProviderKeyProtector"/>: what the admin API and the caller policy
/// call to encrypt and decrypt the provider keys stored with gateway keys.
/// </summary>
internal sealed class ProviderKeyProtector(IProviderKeyProtector protector)
{
    /// <exception cref="KeyStoreUnavailableException">The protector's keys cannot be read or written.</exception>
    public string Protect(string providerKey)
    {
        ArgumentNullException.ThrowIfNull(providerKey);
        return protector.Protect(providerKey);
    }

    /// <summary>The plain key, or null when it cannot be decrypted (its key lost).</summary>
    /// <exception cref="KeyStoreUnavailableException">The protector's keys cannot be read now.</exception>
    public string? Unprotect(string protectedKey)
    {
        ArgumentNullException.ThrowIfNull(protectedKey);
        return protector.Unprotect(protectedKey);
    }
}
