using System.Collections.Concurrent;

namespace LlmGateway.Internal;

/// <summary>The key store of a gateway without Redis: this process's memory, lost at restart (like its usage).</summary>
internal sealed class MemoryKeyStore : IKeyStore
{
    private readonly ConcurrentDictionary<string, StoredKey> _byId = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _idByHash = new(StringComparer.Ordinal);
    private readonly Lock _writeLock = new();

    public ValueTask<StoredKey?> FindByHashAsync(string hash, CancellationToken cancellationToken)
    {
        // The record is checked against the hash too: a rotation running at the same time may have replaced it.
        var key = _idByHash.TryGetValue(hash, out var id) && _byId.TryGetValue(id, out var found) && found.Hash == hash ? found : null;
        return ValueTask.FromResult(key);
    }

    public ValueTask<StoredKey?> GetAsync(string id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_byId.GetValueOrDefault(id));

    public ValueTask<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<StoredKey>>([.. _byId.Values.OrderBy(static k => k.CreatedAt)]);

    public ValueTask SaveAsync(StoredKey key, string? previousHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        lock (_writeLock)
        {
            _byId[key.Id] = key;
            _idByHash[key.Hash] = key.Id;
            if (previousHash is not null && previousHash != key.Hash)
            {
                _idByHash.TryRemove(previousHash, out _);
            }
        }

        return ValueTask.CompletedTask;
    }
}
