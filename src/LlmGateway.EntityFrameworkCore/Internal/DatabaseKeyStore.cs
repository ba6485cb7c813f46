using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace LlmGateway.EntityFrameworkCore.Internal;

/// <summary>
/// Gateway keys in the database: one row per key (<c>gateway_keys</c>: id, hash with a unique index, the record as
/// JSON). A save writes the one row, so a rotation replaces the hash and the record in one statement: the old hash stops
/// finding the key in the same step.
/// </summary>
/// <remarks>
/// <para>Lookups keep what they found for at most 5 seconds, so authenticating a request costs no query most of the time;
/// a save in this process drops the changed key's records at once. Another instance sharing the database sees a
/// revocation or rotation after 5 s at worst.</para>
/// <para>While the database cannot be read, lookups answer from the last records this instance read (kept without
/// expiry for that purpose); listings, reads by id and writes throw <see cref="KeyStoreUnavailableException"/>.</para>
/// </remarks>
internal sealed class DatabaseKeyStore(GatewayDatabase database, ILogger<DatabaseKeyStore> logger, TimeProvider? timeProvider = null) : IKeyStore
{
    private static readonly TimeSpan s_freshFor = TimeSpan.FromSeconds(5);

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ConcurrentDictionary<string, Entry> _byHash = new(StringComparer.Ordinal);

    /// <summary>Bumped by every save: a read that started before a bump does not cache what it read, which may predate
    /// the save.</summary>
    private long _generation;

    public async ValueTask<StoredKey?> FindByHashAsync(string hash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hash);
        if (_byHash.TryGetValue(hash, out var cached) && _time.GetUtcNow() < cached.FreshUntil)
        {
            return cached.Key;
        }

        var generation = Volatile.Read(ref _generation);
        KeyRow? row;
        try
        {
            await database.EnsureMigratedAsync();
            await using var context = database.CreateContext();
            row = await context.Keys.AsNoTracking().FirstOrDefaultAsync(k => k.Hash == hash, cancellationToken);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            logger.KeyLookupFailed(ex);

            // The last record read, however old (a save in this process may have dropped it meanwhile: then none).
            return _byHash.TryGetValue(hash, out var last) ? last.Key : null;
        }

        var key = row is null ? null : Deserialize(row);
        if (key is null || key.Hash != hash)
        {
            _byHash.TryRemove(hash, out _);
            return null;
        }

        if (Volatile.Read(ref _generation) == generation)
        {
            _byHash[hash] = new Entry(key, _time.GetUtcNow() + s_freshFor);
        }

        return key;
    }

    public async ValueTask<StoredKey?> GetAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        try
        {
            await database.EnsureMigratedAsync();
            await using var context = database.CreateContext();
            var row = await context.Keys.AsNoTracking().FirstOrDefaultAsync(k => k.Id == id, cancellationToken);
            return row is null ? null : Deserialize(row);
        }
        catch (Exception ex) when (IsStorageFailure(ex, cancellationToken))
        {
            throw new KeyStoreUnavailableException("The key store (the gateway's database) is unavailable; the key cannot be read until it is back.", ex);
        }
    }

    public async ValueTask<IReadOnlyList<StoredKey>> ListAsync(CancellationToken cancellationToken)
    {
        List<KeyRow> rows;
        try
        {
            await database.EnsureMigratedAsync();
            await using var context = database.CreateContext();
            rows = await context.Keys.AsNoTracking().ToListAsync(cancellationToken);
        }
        catch (Exception ex) when (IsStorageFailure(ex, cancellationToken))
        {
            throw new KeyStoreUnavailableException("The key store (the gateway's database) is unavailable; keys cannot be listed until it is back.", ex);
        }

        var keys = new List<StoredKey>(rows.Count);
        foreach (var row in rows)
        {
            if (Deserialize(row) is { } key)
            {
                keys.Add(key);
            }
        }

        keys.Sort(static (a, b) => a.CreatedAt.CompareTo(b.CreatedAt));
        return keys;
    }

    public async ValueTask SaveAsync(StoredKey key, string? previousHash, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(key);
        var record = JsonSerializer.Serialize(key, StoredKeyJsonContext.Default.StoredKey);
        Interlocked.Increment(ref _generation);
        try
        {
            await database.EnsureMigratedAsync();
            await using var context = database.CreateContext();

            // One statement either way: the row's hash and record change together.
            var updated = await context.Keys.Where(k => k.Id == key.Id)
                .ExecuteUpdateAsync(set => set.SetProperty(k => k.Hash, key.Hash).SetProperty(k => k.Record, record), cancellationToken);
            if (updated == 0)
            {
                context.Keys.Add(new KeyRow { Id = key.Id, Hash = key.Hash, Record = record });
                await context.SaveChangesAsync(cancellationToken);
            }
        }
        catch (Exception ex) when (IsStorageFailure(ex, cancellationToken))
        {
            throw new KeyStoreUnavailableException("The key store (the gateway's database) is unavailable; the key was not saved.", ex);
        }
        finally
        {
            Interlocked.Increment(ref _generation);
            _byHash.TryRemove(key.Hash, out _);
            if (previousHash is not null)
            {
                _byHash.TryRemove(previousHash, out _);
            }

            foreach (var (hash, entry) in _byHash)
            {
                if (entry.Key.Id == key.Id)
                {
                    _byHash.TryRemove(hash, out _);
                }
            }
        }
    }

    /// <summary>A failure of the database (or of reaching it), not a cancellation by the caller or a programming
    /// error.</summary>
    internal static bool IsStorageFailure(Exception ex, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && ex is not (ArgumentException or NullReferenceException);

    private StoredKey? Deserialize(KeyRow row)
    {
        try
        {
            return JsonSerializer.Deserialize(row.Record, StoredKeyJsonContext.Default.StoredKey);
        }
        catch (JsonException ex)
        {
            logger.StoredKeyUnreadable(row.Id, ex);
            return null;
        }
    }

    private readonly record struct Entry(StoredKey Key, DateTimeOffset FreshUntil);
}
