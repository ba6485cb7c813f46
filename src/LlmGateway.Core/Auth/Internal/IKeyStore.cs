namespace LlmGateway.Internal;

/// <summary>
/// Keys created through the admin API: in memory in one process, in Redis when <c>LlmGateway:Redis</c> is set, so a
/// key created on one instance works on all of them at once. Only hashes are kept.
/// </summary>
internal interface IKeyStore
{
    /// <summary>Finds a key by the SHA-256 hash (lower-case hex) of what the caller presented; revoked and expired keys
    /// are returned too (the caller decides).</summary>
    ValueTask<StoredKey?> FindByHashAsync(string hash, CancellationToken cancellationToken);

    ValueTask<StoredKey?> GetAsync(string id, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Creates or replaces a key. When <paramref name="previousHash"/> differs from the key's hash (a
    /// rotation), the old hash stops finding it.</summary>
    /// <exception cref="KeyStoreUnavailableException">The shared store cannot be written.</exception>
    ValueTask SaveAsync(StoredKey key, string? previousHash, CancellationToken cancellationToken);
}

/// <summary>The shared key store (Redis) is down: a write cannot be made durable and shared, so it is refused (503).</summary>
internal sealed class KeyStoreUnavailableException(string message, Exception? inner = null) : Exception(message, inner);
