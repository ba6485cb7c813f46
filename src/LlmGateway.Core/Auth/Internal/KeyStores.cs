namespace LlmGateway.Internal;

/// <summary>STUB: implemented by the keys work.</summary>
internal sealed class MemoryKeyStore : IKeyStore
{
    public ValueTask<StoredKey?> FindByHashAsync(string hash, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask<StoredKey?> GetAsync(string id, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask SaveAsync(StoredKey key, string? previousHash, CancellationToken cancellationToken) => throw new NotImplementedException();
}

/// <summary>STUB: implemented by the keys work.</summary>
internal sealed class RedisKeyStore : IKeyStore
{
    public ValueTask<StoredKey?> FindByHashAsync(string hash, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask<StoredKey?> GetAsync(string id, CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken) => throw new NotImplementedException();

    public ValueTask SaveAsync(StoredKey key, string? previousHash, CancellationToken cancellationToken) => throw new NotImplementedException();
}
