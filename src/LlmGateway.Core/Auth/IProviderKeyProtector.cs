namespace LlmGateway;

/// <summary>
/// Encrypts the provider keys stored with admin-created gateway keys (<see cref="StoredKey.ProviderKeys"/>), so a
/// key store's records never hold them in clear.
/// </summary>
/// <remarks>
/// <para>The default protector encrypts with AES-GCM under a random key made on first use and held only in this
/// process's memory: like the default in-memory key store, nothing it protected outlives the process. A store shared
/// by several instances or kept across restarts needs a protector whose keys are shared and kept as well:
/// <c>LlmGateway.Redis</c>'s <c>AddRedis()</c> registers one backed by ASP.NET Core Data Protection with its key ring
/// in Redis. Register your own as a singleton to use another key management; the gateway adds its default only when
/// none is registered.</para>
/// <para>An implementation must be thread-safe.</para>
/// </remarks>
public interface IProviderKeyProtector
{
    /// <summary>Encrypts a provider key.</summary>
    /// <param name="providerKey">The provider key, in clear.</param>
    /// <returns>The encrypted form, a string a key store can keep.</returns>
    /// <exception cref="KeyStoreUnavailableException">The keys needed to encrypt cannot be read or written.</exception>
    string Protect(string providerKey);

    /// <summary>Decrypts what <see cref="Protect"/> returned.</summary>
    /// <param name="protectedKey">The encrypted form.</param>
    /// <returns>The provider key, or null when it cannot be decrypted (its key is lost or another protector made it).</returns>
    /// <exception cref="KeyStoreUnavailableException">The keys needed to decrypt cannot be read now (a transient
    /// outage, not a lost key).</exception>
    string? Unprotect(string protectedKey);
}
