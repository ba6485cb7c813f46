namespace LlmGateway.Internal;

/// <summary>
/// Encrypts the provider keys the admin API stores, with ASP.NET Core Data Protection: an isolated key ring of the
/// gateway's own (application name <c>LlmGateway</c>), kept in Redis when <c>LlmGateway:Redis</c> is set so every
/// instance can read what another wrote, else ephemeral in memory (like the in-memory key store itself).
/// STUB: implemented by the keys work.
/// </summary>
internal sealed class ProviderKeyProtector
{
    public string Protect(string providerKey) => throw new NotImplementedException();

    /// <summary>The plain key, or null when it cannot be decrypted (key ring lost).</summary>
    public string? Unprotect(string protectedKey) => throw new NotImplementedException();
}
