using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmGateway.Internal;

/// <summary>
/// Finds the key a caller presented: configured keys (rebuilt from each configuration snapshot) first, then the key
/// store. The presented key is hashed (SHA-256) and looked up by hash; the final comparison is constant-time.
/// </summary>
/// <remarks>
/// The configured keys are built once per options instance (a reload brings a new one) and swapped in whole. A
/// reload that fails validation makes <see cref="IOptionsMonitor{TOptions}.CurrentValue"/> throw; the last good
/// keys then stay in force, as the last good route table does.
/// </remarks>
internal sealed class KeyRegistry
{
    /// <summary>The <see cref="StoredKey.Source"/> of configured keys.</summary>
    public const string ConfigSource = "config";

    private readonly IOptionsMonitor<LlmGatewayOptions> _options;
    private readonly IKeyStore _store;
    private readonly ILogger<KeyRegistry> _logger;
    private readonly Lock _buildLock = new();
    private Snapshot? _snapshot;

    public KeyRegistry(IOptionsMonitor<LlmGatewayOptions> options, IKeyStore store, ILogger<KeyRegistry>? logger = null)
    {
        _options = options;
        _store = store;
        _logger = logger ?? NullLogger<KeyRegistry>.Instance;
    }

    /// <summary>Gets a value indicating whether an admin key is configured (else the admin API does not exist).</summary>
    public bool HasAdminKey => Current().AdminHash is not null;

    /// <summary>The key, or null when it is unknown. Revoked and expired keys are returned (the caller refuses them
    /// with its own message).</summary>
    public async ValueTask<StoredKey?> FindAsync(string presentedKey, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(presentedKey))
        {
            return null;
        }

        var hash = KeyHashing.Hash(presentedKey);
        if (Current().ByHash.TryGetValue(hash, out var configured))
        {
            return KeyHashing.HashEquals(configured.Hash, hash) ? configured : null;
        }

        var stored = await _store.FindByHashAsync(hash, cancellationToken);
        return stored is not null && KeyHashing.HashEquals(stored.Hash, hash) ? stored : null;
    }

    /// <summary>Whether <paramref name="presentedKey"/> is the admin key (<c>LlmGateway:Auth:AdminKey</c>/<c>AdminKeyHash</c>),
    /// compared in constant time. False when no admin key is configured.</summary>
    public bool IsAdmin(string? presentedKey)
    {
        var adminHash = Current().AdminHash;
        return adminHash is not null && !string.IsNullOrEmpty(presentedKey) && KeyHashing.HashEquals(KeyHashing.Hash(presentedKey), adminHash);
    }

    /// <summary>The keys from configuration (source <c>config</c>), in configuration order, for the admin listing.</summary>
    public IReadOnlyList<StoredKey> ConfiguredKeys() => Current().Keys;

    private Snapshot Current()
    {
        LlmGatewayOptions options;
        try
        {
            options = _options.CurrentValue;
        }
        catch (OptionsValidationException) when (Volatile.Read(ref _snapshot) is not null)
        {
            return _snapshot!;
        }

        var snapshot = Volatile.Read(ref _snapshot);
        if (snapshot is not null && ReferenceEquals(snapshot.Options, options))
        {
            return snapshot;
        }

        lock (_buildLock)
        {
            if (_snapshot is null || !ReferenceEquals(_snapshot.Options, options))
            {
                Volatile.Write(ref _snapshot, Build(options));
            }

            return _snapshot!;
        }
    }

    private Snapshot Build(LlmGatewayOptions options)
    {
        var auth = options.Auth;
        var keys = new List<StoredKey>(auth.Keys.Count);
        var byHash = new Dictionary<string, StoredKey>(StringComparer.Ordinal);
        for (var i = 0; i < auth.Keys.Count; i++)
        {
            var configured = auth.Keys[i];
            var id = string.IsNullOrWhiteSpace(configured.Name) ? $"config-{i}" : configured.Name;
            string hash;
            string? prefix = null;
            if (!string.IsNullOrEmpty(configured.Key))
            {
                hash = KeyHashing.Hash(configured.Key);
                prefix = KeyHashing.DisplayPrefix(configured.Key);
            }
            else if (!KeyHashing.TryNormalizeHash(configured.KeyHash, out hash))
            {
                _logger.ConfiguredKeyIgnored(id, configured.KeyHash is null ? "it has neither Key nor KeyHash." : "its KeyHash is not a SHA-256 hash (64 hex characters).");
                continue;
            }

            var key = new StoredKey
            {
                Id = id,
                Name = configured.Name,
                Hash = hash,
                Prefix = prefix,
                Source = ConfigSource,
                ExpiresAt = configured.ExpiresAt,
                AllowedModels = [.. configured.AllowedModels],
                RequestsPerMinute = configured.RequestsPerMinute,
                TokensPerMinute = configured.TokensPerMinute,
                ModelLimits = new Dictionary<string, ModelLimitOptions>(configured.ModelLimits, StringComparer.OrdinalIgnoreCase),
                Strategy = configured.Strategy,
                Budget = configured.Budget,
            };
            if (!byHash.TryAdd(hash, key))
            {
                _logger.ConfiguredKeyIgnored(id, $"it is the same key as {byHash[hash].Id}.");
                continue;
            }

            keys.Add(key);
        }

        string? adminHash = null;
        if (!string.IsNullOrEmpty(auth.AdminKeyHash))
        {
            if (KeyHashing.TryNormalizeHash(auth.AdminKeyHash, out var normalized))
            {
                adminHash = normalized;
            }
            else
            {
                _logger.AdminKeyHashInvalid();
            }
        }
        else if (!string.IsNullOrEmpty(auth.AdminKey))
        {
            adminHash = KeyHashing.Hash(auth.AdminKey);
        }

        return new Snapshot(options, keys, byHash, adminHash);
    }

    private sealed record Snapshot(LlmGatewayOptions Options, IReadOnlyList<StoredKey> Keys, Dictionary<string, StoredKey> ByHash, string? AdminHash);
}
