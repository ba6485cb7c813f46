using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmGateway.Samples.Extending.Keys;

/// <summary>
/// An <see cref="IKeyStore"/> of the application's own: gateway keys in memory, saved to and loaded from JSON (a file,
/// a secret store's value). Registered as the gateway's key store (<c>services.AddSingleton&lt;IKeyStore&gt;(…)</c>),
/// the keys it holds authenticate calls like keys created through the admin API. A key is shown once, when it is
/// created; afterwards it is found by its SHA-256 hash, so the JSON holds nothing a caller could present.
/// </summary>
/// <remarks>Reads see one immutable snapshot; writes replace it under a lock, so a lookup sees a record before or
/// after a save, never a mix, and a rotated key's old hash stops finding it in the same step.</remarks>
public sealed class InMemoryKeyStore(TimeProvider timeProvider) : IKeyStore
{
    /// <summary>What every key this store creates starts with, so a leaked one is recognisable.</summary>
    public const string KeyPrefix = "lgw-";

    private readonly Lock _writeLock = new();
    private volatile Snapshot _snapshot = Snapshot.Empty;

    /// <summary>Creates a key and returns it: the only time it is available.</summary>
    /// <param name="name">The display name.</param>
    /// <param name="allowedModels">The models (or patterns) the key may call; none: any.</param>
    /// <param name="expiresAt">When the key stops working, or null.</param>
    /// <returns>The key to hand to its user, and its stored record.</returns>
    public (string Key, StoredKey Stored) Create(string name, IEnumerable<string>? allowedModels = null, DateTimeOffset? expiresAt = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var key = KeyPrefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var stored = new StoredKey
        {
            Id = "key_" + Base64Url(RandomNumberGenerator.GetBytes(9)),
            Name = name,
            Hash = Hash(key),
            Prefix = key[..8],
            CreatedAt = timeProvider.GetUtcNow(),
            ExpiresAt = expiresAt,
            AllowedModels = [.. allowedModels ?? []],
        };
        Save(stored, previousHash: null);
        return (key, stored);
    }

    /// <summary>Revokes a key by its id; false when there is no such key.</summary>
    /// <param name="id">The key's id.</param>
    /// <returns>Whether the key exists.</returns>
    public bool Revoke(string id)
    {
        lock (_writeLock)
        {
            if (!_snapshot.ById.TryGetValue(id, out var stored))
            {
                return false;
            }

            var now = timeProvider.GetUtcNow();
            Save(new StoredKey
            {
                Id = stored.Id,
                Name = stored.Name,
                Hash = stored.Hash,
                Prefix = stored.Prefix,
                Source = stored.Source,
                CreatedAt = stored.CreatedAt,
                UpdatedAt = now,
                RevokedAt = now,
                ExpiresAt = stored.ExpiresAt,
                AllowedModels = stored.AllowedModels,
                RequestsPerMinute = stored.RequestsPerMinute,
                TokensPerMinute = stored.TokensPerMinute,
                ModelLimits = stored.ModelLimits,
                Strategy = stored.Strategy,
                Budget = stored.Budget,
                ProviderKeys = stored.ProviderKeys,
            }, stored.Hash);
            return true;
        }
    }

    /// <summary>The stored keys as JSON, for <see cref="Load"/>: hashes, never keys.</summary>
    /// <returns>The JSON.</returns>
    public string ToJson() => JsonSerializer.Serialize([.. _snapshot.ById.Values.OrderBy(static k => k.CreatedAt).ThenBy(static k => k.Id, StringComparer.Ordinal)], KeyStoreJsonContext.Default.ListStoredKey);

    /// <summary>Replaces the stored keys with those of JSON written by <see cref="ToJson"/>.</summary>
    /// <param name="json">The JSON.</param>
    /// <exception cref="JsonException">The JSON is not a list of stored keys.</exception>
    public void Load(string json)
    {
        var keys = JsonSerializer.Deserialize(json, KeyStoreJsonContext.Default.ListStoredKey) ?? [];
        lock (_writeLock)
        {
            _snapshot = new Snapshot(
                keys.ToDictionary(static k => k.Id, StringComparer.Ordinal),
                keys.ToDictionary(static k => k.Hash, StringComparer.Ordinal));
        }
    }

    /// <summary>The SHA-256 of a key, lower-case hex: what <see cref="StoredKey.Hash"/> holds.</summary>
    /// <param name="key">The key.</param>
    /// <returns>The hash.</returns>
    public static string Hash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));
    }

    /// <inheritdoc />
    public ValueTask<StoredKey?> FindByHashAsync(string hash, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_snapshot.ByHash.GetValueOrDefault(hash));

    /// <inheritdoc />
    public ValueTask<StoredKey?> GetAsync(string id, CancellationToken cancellationToken) =>
        ValueTask.FromResult(_snapshot.ById.GetValueOrDefault(id));

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IReadOnlyList<StoredKey>>([.. _snapshot.ById.Values.OrderBy(static k => k.CreatedAt).ThenBy(static k => k.Id, StringComparer.Ordinal)]);

    /// <inheritdoc />
    public ValueTask SaveAsync(StoredKey key, string? previousHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        Save(key, previousHash);
        return ValueTask.CompletedTask;
    }

    private void Save(StoredKey key, string? previousHash)
    {
        lock (_writeLock)
        {
            var byId = new Dictionary<string, StoredKey>(_snapshot.ById, StringComparer.Ordinal) { [key.Id] = key };
            var byHash = new Dictionary<string, StoredKey>(_snapshot.ByHash, StringComparer.Ordinal);
            if (previousHash is not null && previousHash != key.Hash)
            {
                byHash.Remove(previousHash);
            }

            byHash[key.Hash] = key;
            _snapshot = new Snapshot(byId, byHash);
        }
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private sealed record Snapshot(Dictionary<string, StoredKey> ById, Dictionary<string, StoredKey> ByHash)
    {
        public static readonly Snapshot Empty = new(new(StringComparer.Ordinal), new(StringComparer.Ordinal));
    }
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<StoredKey>))]
internal sealed partial class KeyStoreJsonContext : JsonSerializerContext;
