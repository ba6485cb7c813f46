namespace LlmGateway.Internal;

/// <summary>
/// Finds the key a caller presented: configured keys (rebuilt from each configuration snapshot) first, then the key
/// store. The presented key is hashed (SHA-256) and looked up by hash; the final comparison is constant-time.
/// STUB: implemented by the keys work.
/// </summary>
internal sealed class KeyRegistry
{
    /// <summary>The key, or null when it is unknown. Revoked and expired keys are returned (the caller refuses them
    /// with its own message).</summary>
    public ValueTask<StoredKey?> FindAsync(string presentedKey, CancellationToken cancellationToken) => throw new NotImplementedException();

    /// <summary>Whether <paramref name="presentedKey"/> is the admin key (<c>LlmGateway:Auth:AdminKey</c>/<c>AdminKeyHash</c>),
    /// compared in constant time. False when no admin key is configured.</summary>
    public bool IsAdmin(string? presentedKey) => throw new NotImplementedException();
}
