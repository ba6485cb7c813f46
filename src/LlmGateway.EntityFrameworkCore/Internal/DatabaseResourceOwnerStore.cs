using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;

namespace LlmGateway.EntityFrameworkCore.Internal;

/// <summary>
/// Who created each server-side resource, in the database (<c>resource_owners</c>, one row per kind and id), so a
/// resource created before a restart, or through another instance sharing the database, is served to its owner only.
/// </summary>
/// <remarks>
/// <para>A row is inserted once (<c>ON CONFLICT DO NOTHING</c>) and read back, so when two instances add the same id
/// both keep the first owner. A record never changes, so what this instance wrote or read is kept in the near store (the
/// <see cref="IResourceOwnerStore"/> registered before: Core's bounded memory store unless the app registered its own)
/// and answered from there. Rows older than 30 days are not answered, and are deleted at start-up.</para>
/// <para>While the database is unavailable, a new record is kept in memory and written by a later add or lookup that
/// reaches the database; an id this instance does not hold throws <see cref="ResourceOwnerStoreUnavailableException"/>.</para>
/// </remarks>
internal sealed class DatabaseResourceOwnerStore(
    GatewayDatabase database,
    IResourceOwnerStore near,
    ILogger<DatabaseResourceOwnerStore> logger,
    TimeProvider? timeProvider = null) : IResourceOwnerStore
{
    /// <summary>How long a record is answered (OpenAI keeps a stored response 30 days).</summary>
    internal static readonly TimeSpan Lifetime = TimeSpan.FromDays(30);

    private const string InsertSql = "INSERT INTO resource_owners (kind, id, owner, provider, created_at) VALUES ({0}, {1}, {2}, {3}, {4}) ON CONFLICT (kind, id) DO NOTHING";

    private readonly TimeProvider _time = timeProvider ?? TimeProvider.System;
    private readonly ConcurrentDictionary<(OwnedResourceKind Kind, string Id), ResourceRecord> _pending = new();

    public async ValueTask AddAsync(OwnedResourceKind kind, string id, ResourceRecord record)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(record);
        if (await near.FindAsync(kind, id, CancellationToken.None) is not null)
        {
            return; // written (or read) before: the first record stands
        }

        try
        {
            await using var context = await OpenAsync();
            var first = await InsertAsync(context, kind, id, record);
            await near.AddAsync(kind, id, first);
            await WritePendingAsync(context);
        }
        catch (Exception ex)
        {
            logger.OwnerWriteFailed(ex);
            await near.AddAsync(kind, id, record);
            _pending.TryAdd((kind, id), record);
        }
    }

    public async ValueTask<ResourceRecord?> FindAsync(OwnedResourceKind kind, string id, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (await near.FindAsync(kind, id, cancellationToken) is { } known)
        {
            return known;
        }

        ResourceOwnerRow? row;
        try
        {
            await using var context = await OpenAsync();
            var since = (_time.GetUtcNow() - Lifetime).ToUnixTimeMilliseconds();
            row = await context.ResourceOwners.AsNoTracking()
                .FirstOrDefaultAsync(o => o.Kind == (int)kind && o.Id == id && o.CreatedAt >= since, cancellationToken);
            await WritePendingAsync(context);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ResourceOwnerStoreUnavailableException("The ownership store (the gateway's database) is unavailable; the resource's owner cannot be told until it is back.", ex);
        }

        if (row is null)
        {
            return null;
        }

        var record = new ResourceRecord(row.Owner, row.Provider);
        await near.AddAsync(kind, id, record);
        return record;
    }

    private async Task<GatewayDbContext> OpenAsync()
    {
        await database.EnsureMigratedAsync();
        return database.CreateContext();
    }

    /// <summary>Inserts the record unless the id has one, and returns the one that stands.</summary>
    private async Task<ResourceRecord> InsertAsync(GatewayDbContext context, OwnedResourceKind kind, string id, ResourceRecord record)
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var inserted = await context.Database.ExecuteSqlRawAsync(InsertSql, (int)kind, id, record.Owner, record.Provider, now);
        if (inserted == 1)
        {
            return record;
        }

        var row = await context.ResourceOwners.AsNoTracking().FirstOrDefaultAsync(o => o.Kind == (int)kind && o.Id == id);
        return row is null ? record : new ResourceRecord(row.Owner, row.Provider);
    }

    private async Task WritePendingAsync(GatewayDbContext context)
    {
        foreach (var ((kind, id), record) in _pending)
        {
            await InsertAsync(context, kind, id, record);
            _pending.TryRemove((kind, id), out _);
        }
    }
}
