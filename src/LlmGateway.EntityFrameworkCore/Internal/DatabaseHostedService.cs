using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Hosting;

namespace LlmGateway.EntityFrameworkCore.Internal;

/// <summary>
/// Migrates the database when the host starts (a refused migration stops the start, with the reason), deletes expired
/// ownership records, starts the usage writer; at a graceful stop, writes every queued usage record.
/// </summary>
internal sealed class DatabaseHostedService(GatewayDatabase database, DatabaseUsageStore usage, TimeProvider time) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!database.IsConfigured)
        {
            return;
        }

        await database.EnsureMigratedAsync().WaitAsync(cancellationToken);
        await using (var context = database.CreateContext())
        {
            var before = (time.GetUtcNow() - DatabaseResourceOwnerStore.Lifetime).ToUnixTimeMilliseconds();
            await context.ResourceOwners.Where(o => o.CreatedAt < before).ExecuteDeleteAsync(cancellationToken);
        }

        usage.EnsureWriter();
    }

    public Task StopAsync(CancellationToken cancellationToken) => usage.StopAsync(cancellationToken);
}
