using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace LlmGateway.Samples.Extending.Keys;

/// <summary>A gateway key as stored: never the key itself, only its SHA-256 hash, with its policy and the provider keys
/// that calls made with it use (by provider instance name).</summary>
internal sealed record StoredKey(
    string Id,
    string Name,
    string Hash,
    IReadOnlyList<string> AllowedModels,
    IReadOnlyDictionary<string, string> ProviderKeys,
    DateTimeOffset? ExpiresAt = null,
    bool Revoked = false);

/// <summary>
/// Gateway keys in memory, saved to and loaded from JSON (a file, a secret store's value). A key is shown once, when it
/// is created; afterwards it is found by its hash, so the JSON holds nothing a caller could present.
/// </summary>
internal sealed class InMemoryKeyStore(TimeProvider timeProvider)
{
    /// <summary>What every key this store creates starts with, so a leaked one is recognisable.</summary>
    public const string Prefix = "lgw-";

    private readonly ConcurrentDictionary<string, StoredKey> _byHash = new(StringComparer.Ordinal);

    /// <summary>Creates a key and returns it: the only time it is available.</summary>
    public (string Key, StoredKey Stored) Create(string name, IEnumerable<string>? allowedModels = null, IReadOnlyDictionary<string, string>? providerKeys = null, DateTimeOffset? expiresAt = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var key = Prefix + Base64Url(RandomNumberGenerator.GetBytes(32));
        var stored = new StoredKey(
            Base64Url(RandomNumberGenerator.GetBytes(9)),
            name,
            Hash(key),
            [.. allowedModels ?? []],
            new Dictionary<string, string>(providerKeys ?? new Dictionary<string, string>(), StringComparer.OrdinalIgnoreCase),
            expiresAt);
        _byHash[stored.Hash] = stored;
        return (key, stored);
    }

    /// <summary>The stored key a caller presented; null when it is unknown, revoked or expired.</summary>
    public StoredKey? Find(string? presentedKey) =>
        !string.IsNullOrEmpty(presentedKey)
        && _byHash.TryGetValue(Hash(presentedKey), out var stored)
        && !stored.Revoked
        && !(stored.ExpiresAt <= timeProvider.GetUtcNow())
            ? stored
            : null;

    /// <summary>Revokes a key by its id; false when there is no such key.</summary>
    public bool Revoke(string id)
    {
        foreach (var (hash, stored) in _byHash)
        {
            if (stored.Id == id)
            {
                _byHash[hash] = stored with { Revoked = true };
                return true;
            }
        }

        return false;
    }

    /// <summary>The stored keys as JSON, for <see cref="Load"/>.</summary>
    public string Save() => JsonSerializer.Serialize(_byHash.Values.OrderBy(static k => k.Id, StringComparer.Ordinal).ToList(), KeyStoreJsonContext.Default.ListStoredKey);

    /// <summary>Replaces the stored keys with those of JSON written by <see cref="Save"/>.</summary>
    /// <exception cref="JsonException">The JSON is not a list of stored keys.</exception>
    public void Load(string json)
    {
        var keys = JsonSerializer.Deserialize(json, KeyStoreJsonContext.Default.ListStoredKey) ?? [];
        _byHash.Clear();
        foreach (var key in keys)
        {
            _byHash[key.Hash] = key;
        }
    }

    private static string Hash(string key) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(key)));

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(List<StoredKey>))]
internal sealed partial class KeyStoreJsonContext : JsonSerializerContext;
