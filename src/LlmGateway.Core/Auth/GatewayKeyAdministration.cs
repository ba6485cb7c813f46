using LlmGateway.Internal;
using Microsoft.Extensions.Logging;

namespace LlmGateway;

/// <summary>
/// Administers gateway keys from code: creates, reads, lists, changes, revokes and rotates them, with the rules the
/// admin API (<c>/admin/keys</c> of <c>LlmGateway.AspNetCore</c>, which is built on it) applies. Keys created here are
/// kept by the <see cref="IKeyStore"/>, work at once on every gateway sharing it, and authenticate requests
/// (<see cref="GatewayAuthenticator"/>). Keys from configuration (<c>LlmGateway:Auth:Keys</c>, source <c>config</c>)
/// are read and listed but cannot be changed here.
/// Registered as a singleton by <c>AddLlmGateway</c>; thread-safe.
/// </summary>
/// <remarks>
/// A key is shown once, in the <see cref="CreatedGatewayKey"/> of its creation or rotation: only its hash is kept.
/// Failures that are the caller's (an unknown id, a read-only key, an unknown provider instance) throw
/// <see cref="LlmGatewayException"/> whose <see cref="LlmGatewayException.Error"/> is what the admin API answers;
/// a key store that cannot be reached throws <see cref="KeyStoreUnavailableException"/>.
/// </remarks>
public sealed class GatewayKeyAdministration
{
    private readonly KeyRegistry _registry;
    private readonly IKeyStore _store;
    private readonly IProviderKeyProtector _protector;
    private readonly ILlmGatewayRuntime _runtime;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;

    internal GatewayKeyAdministration(KeyRegistry registry, IKeyStore store, IProviderKeyProtector protector, ILlmGatewayRuntime runtime, TimeProvider timeProvider, ILogger<GatewayKeyAdministration> logger)
    {
        _registry = registry;
        _store = store;
        _protector = protector;
        _runtime = runtime;
        _timeProvider = timeProvider;
        _logger = logger;
    }

    /// <summary>Creates a key: a new id (<c>key_…</c>) and a new random key (<c>lgw-…</c>), with the settings given.</summary>
    /// <param name="settings">The key's settings; null: a key with no name, limits or restrictions.</param>
    /// <param name="cancellationToken">Cancels the save, if it has not been made.</param>
    /// <returns>The key, shown this once, and its stored record.</returns>
    /// <exception cref="LlmGatewayException"><see cref="GatewayKeySettings.ProviderKeys"/> names an instance that is not a
    /// configured provider instance (400 <c>invalid_value</c>).</exception>
    /// <exception cref="KeyStoreUnavailableException">The key store cannot be written.</exception>
    public async ValueTask<CreatedGatewayKey> CreateAsync(GatewayKeySettings? settings = null, CancellationToken cancellationToken = default)
    {
        var providerKeys = ProtectProviderKeys(settings);
        var secret = KeyHashing.NewKey();
        var template = new StoredKey
        {
            Id = KeyHashing.NewId(),
            Hash = KeyHashing.Hash(secret),
            Prefix = KeyHashing.DisplayPrefix(secret),
            CreatedAt = _timeProvider.GetUtcNow(),
        };
        var key = GatewayKeySettings.Copy(template, settings, providerKeys, updatedAt: null, revokedAt: null, hash: null, prefix: null);
        await _store.SaveAsync(key, previousHash: null, cancellationToken);
        _logger.KeyCreated(key.Id);
        return new CreatedGatewayKey(secret, key);
    }

    /// <summary>Reads a key, configured or stored, by id.</summary>
    /// <param name="id">The key's <see cref="StoredKey.Id"/>.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The key, or null when there is none with that id.</returns>
    /// <exception cref="KeyStoreUnavailableException">The key store cannot be read.</exception>
    public async ValueTask<StoredKey?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return _registry.ConfiguredKeys().FirstOrDefault(k => string.Equals(k.Id, id, StringComparison.Ordinal))
            ?? await _store.GetAsync(id, cancellationToken);
    }

    /// <summary>Lists every key: the configured ones (in configuration order), then the stored ones (oldest first).</summary>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The keys, revoked ones included.</returns>
    /// <exception cref="KeyStoreUnavailableException">The key store cannot be read.</exception>
    public async ValueTask<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken = default)
    {
        var stored = await _store.ListAsync(cancellationToken);
        var configured = _registry.ConfiguredKeys();
        var keys = new List<StoredKey>(configured.Count + stored.Count);
        keys.AddRange(configured);
        keys.AddRange(stored);
        return keys;
    }

    /// <summary>Changes the settings of a key; the settings that are not set stay as they are.</summary>
    /// <param name="id">The key's id.</param>
    /// <param name="changes">The settings to change.</param>
    /// <param name="cancellationToken">Cancels the save, if it has not been made.</param>
    /// <returns>The key's new record.</returns>
    /// <exception cref="LlmGatewayException">No key has that id (404 <c>key_not_found</c>); the key comes from
    /// configuration or is revoked (409 <c>key_read_only</c>); or <see cref="GatewayKeySettings.ProviderKeys"/> names an
    /// instance that is not a configured provider instance (400 <c>invalid_value</c>).</exception>
    /// <exception cref="KeyStoreUnavailableException">The key store cannot be read or written.</exception>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("ApiDesign", "RS0027:API with optional parameter(s) should have the most parameters amongst its public overloads", Justification = "The overloads differ in the type of the changes: no call binds to both.")]
    public ValueTask<StoredKey> UpdateAsync(string id, GatewayKeySettings changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return UpdateAsync(id, _ => changes, cancellationToken);
    }

    /// <summary>Changes the settings of a key to what <paramref name="changes"/> makes of its current record, called once
    /// the key is found and known to be changeable; the settings it does not set stay as they are.</summary>
    /// <param name="id">The key's id.</param>
    /// <param name="changes">Makes the changes from the key's current record; an exception it throws propagates and
    /// nothing is saved.</param>
    /// <param name="cancellationToken">Cancels the save, if it has not been made.</param>
    /// <returns>The key's new record.</returns>
    /// <exception cref="LlmGatewayException">As for <see cref="UpdateAsync(string, GatewayKeySettings, CancellationToken)"/>.</exception>
    /// <exception cref="KeyStoreUnavailableException">The key store cannot be read or written.</exception>
    public async ValueTask<StoredKey> UpdateAsync(string id, Func<StoredKey, GatewayKeySettings> changes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(changes);
        var existing = await FindChangeableAsync(id, allowRevoked: false, cancellationToken);
        var settings = changes(existing) ?? throw new InvalidOperationException("The changes function returned null.");
        var providerKeys = ProtectProviderKeys(settings);
        var key = settings.ApplyTo(existing, providerKeys, updatedAt: _timeProvider.GetUtcNow());
        await _store.SaveAsync(key, existing.Hash, cancellationToken);
        _logger.KeyUpdated(key.Id);
        return key;
    }

    /// <summary>Revokes a key: it is refused from now on (by every gateway sharing the key store) and cannot be changed
    /// again. Revoking a revoked key changes nothing.</summary>
    /// <param name="id">The key's id.</param>
    /// <param name="cancellationToken">Cancels the save, if it has not been made.</param>
    /// <returns>The key's record, revoked.</returns>
    /// <exception cref="LlmGatewayException">No key has that id (404 <c>key_not_found</c>); the key comes from
    /// configuration (409 <c>key_read_only</c>).</exception>
    /// <exception cref="KeyStoreUnavailableException">The key store cannot be read or written.</exception>
    public async ValueTask<StoredKey> RevokeAsync(string id, CancellationToken cancellationToken = default)
    {
        var existing = await FindChangeableAsync(id, allowRevoked: true, cancellationToken);
        if (existing.IsRevoked)
        {
            return existing;
        }

        var now = _timeProvider.GetUtcNow();
        var key = GatewayKeySettings.Copy(existing, change: null, protectedProviderKeys: null, updatedAt: now, revokedAt: now, hash: null, prefix: null);
        await _store.SaveAsync(key, existing.Hash, cancellationToken);
        _logger.KeyRevoked(key.Id);
        return key;
    }

    /// <summary>Gives a key a new random secret, keeping its id and settings: the previous secret stops working at once.</summary>
    /// <param name="id">The key's id.</param>
    /// <param name="cancellationToken">Cancels the save, if it has not been made.</param>
    /// <returns>The new key, shown this once, and its stored record.</returns>
    /// <exception cref="LlmGatewayException">No key has that id (404 <c>key_not_found</c>); the key comes from
    /// configuration or is revoked (409 <c>key_read_only</c>).</exception>
    /// <exception cref="KeyStoreUnavailableException">The key store cannot be read or written.</exception>
    public async ValueTask<CreatedGatewayKey> RotateAsync(string id, CancellationToken cancellationToken = default)
    {
        var existing = await FindChangeableAsync(id, allowRevoked: false, cancellationToken);
        var secret = KeyHashing.NewKey();
        var key = GatewayKeySettings.Copy(existing, change: null, protectedProviderKeys: null, updatedAt: _timeProvider.GetUtcNow(), revokedAt: null, hash: KeyHashing.Hash(secret), prefix: KeyHashing.DisplayPrefix(secret));
        await _store.SaveAsync(key, existing.Hash, cancellationToken);
        _logger.KeyRotated(key.Id);
        return new CreatedGatewayKey(secret, key);
    }

    /// <summary>The error for an id no key has: 404 <c>key_not_found</c>.</summary>
    internal static GatewayError NotFound(string id) =>
        new(GatewayErrorKind.NotFound, $"No key with id '{id}'.", "id") { Code = "key_not_found" };

    private async ValueTask<StoredKey> FindChangeableAsync(string id, bool allowRevoked, CancellationToken cancellationToken)
    {
        var key = await GetAsync(id, cancellationToken) ?? throw new LlmGatewayException(NotFound(id));
        string? conflict = null;
        if (key.Source == KeyRegistry.ConfigSource)
        {
            conflict = $"The key '{key.Id}' comes from configuration (LlmGateway:Auth:Keys) and cannot be changed through the admin API; change the configuration instead.";
        }
        else if (key.IsRevoked && !allowRevoked)
        {
            conflict = $"The key '{key.Id}' is revoked and cannot be changed; create a new key instead.";
        }

        return conflict is null
            ? key
            : throw new LlmGatewayException(new GatewayError(GatewayErrorKind.InvalidRequest, conflict, "id") { StatusCode = 409, Code = "key_read_only" });
    }

    /// <summary>The settings' provider keys, each encrypted for a configured provider instance (by its configured name);
    /// null when the settings do not set them.</summary>
    private Dictionary<string, string>? ProtectProviderKeys(GatewayKeySettings? settings)
    {
        if (settings is null || !settings.HasProviderKeys)
        {
            return null;
        }

        var protectedKeys = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        if (settings.ProviderKeys is null)
        {
            return protectedKeys;
        }

        foreach (var (instance, providerKey) in settings.ProviderKeys)
        {
            if (_runtime.GetProvider(instance) is not { } provider)
            {
                throw new LlmGatewayException(new GatewayError(
                    GatewayErrorKind.InvalidRequest,
                    $"'provider_keys' names '{instance}', which is not a configured provider instance (LlmGateway:Providers).",
                    $"provider_keys.{instance}")
                { Code = "invalid_value" });
            }

            protectedKeys[provider.Name] = _protector.Protect(providerKey);
        }

        return protectedKeys;
    }
}
