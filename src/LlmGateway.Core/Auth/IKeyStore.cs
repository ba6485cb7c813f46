namespace LlmGateway;

/// <summary>
/// Where the keys created through the admin API are kept (keys from configuration are not: they are rebuilt from each
/// configuration snapshot). Only hashes are kept, never a key itself.
/// </summary>
/// <remarks>
/// <para>The default store is this process's memory (lost at restart); <c>LlmGateway.Redis</c>'s <c>AddRedis()</c>
/// shares keys between gateway instances. Register your own implementation as a singleton to keep keys elsewhere; the
/// gateway adds its default only when none is registered.</para>
/// <para>An implementation must be thread-safe. <see cref="FindByHashAsync"/> is called on every authenticated request:
/// it should answer from a cache most of the time. A store that cannot reach its backing storage may answer
/// <see cref="FindByHashAsync"/> from what it last read; every other member then throws
/// <see cref="KeyStoreUnavailableException"/> (the admin API answers 503) rather than act on stale data.</para>
/// </remarks>
public interface IKeyStore
{
    /// <summary>Finds a key by the SHA-256 hash (lower-case hex) of what the caller presented; revoked and expired keys
    /// are returned too (the caller decides).</summary>
    /// <param name="hash">The SHA-256 hash of the presented key, lower-case hex.</param>
    /// <param name="cancellationToken">Cancels the lookup.</param>
    /// <returns>The key whose <see cref="StoredKey.Hash"/> is <paramref name="hash"/>, or null.</returns>
    ValueTask<StoredKey?> FindByHashAsync(string hash, CancellationToken cancellationToken);

    /// <summary>Reads a key by id, from the backing storage (not from a cache that may be stale).</summary>
    /// <param name="id">The key's <see cref="StoredKey.Id"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The key, or null.</returns>
    /// <exception cref="KeyStoreUnavailableException">The backing storage cannot be read.</exception>
    ValueTask<StoredKey?> GetAsync(string id, CancellationToken cancellationToken);

    /// <summary>Lists every key, oldest (<see cref="StoredKey.CreatedAt"/>) first.</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The keys.</returns>
    /// <exception cref="KeyStoreUnavailableException">The backing storage cannot be read.</exception>
    ValueTask<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken);

    /// <summary>Creates or replaces a key (by <see cref="StoredKey.Id"/>), atomically: a lookup sees the old record or
    /// the new one, never a mix. When <paramref name="previousHash"/> is given and differs from the key's hash (a
    /// rotation), the old hash stops finding the key in the same step.</summary>
    /// <param name="key">The key's new record.</param>
    /// <param name="previousHash">The hash the key had before this save, or null for a new key.</param>
    /// <param name="cancellationToken">Cancels the write, if it has not been made.</param>
    /// <returns>A task that completes when the key is saved and visible to every instance sharing the store.</returns>
    /// <exception cref="KeyStoreUnavailableException">The backing storage cannot be written; nothing was saved.</exception>
    ValueTask SaveAsync(StoredKey key, string? previousHash, CancellationToken cancellationToken);
}

/// <summary>
/// A store the gateway keeps keys (or the key ring that encrypts their provider keys) in cannot be reached: a read or
/// write that must not be answered from a stale or local copy is refused. The HTTP layer answers 503 with the message.
/// </summary>
public sealed class KeyStoreUnavailableException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="KeyStoreUnavailableException"/> class.</summary>
    public KeyStoreUnavailableException()
        : this("The key store is unavailable.")
    {
    }

    /// <summary>Initializes a new instance of the <see cref="KeyStoreUnavailableException"/> class.</summary>
    /// <param name="message">What could not be done, shown to the caller of the admin API.</param>
    public KeyStoreUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="KeyStoreUnavailableException"/> class.</summary>
    /// <param name="message">What could not be done, shown to the caller of the admin API.</param>
    /// <param name="innerException">The storage's failure.</param>
    public KeyStoreUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
