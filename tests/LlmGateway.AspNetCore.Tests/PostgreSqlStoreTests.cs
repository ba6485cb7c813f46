using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// The database stores on a real PostgreSQL (one database per test): the PostgreSQL migrations from empty and again on
/// an up-to-date database, keys (with a rotation) and usage kept across a restart, and a graceful stop writing every
/// queued usage record.
/// </summary>
public sealed class PostgreSqlStoreTests(PostgreSqlServer server) : IClassFixture<PostgreSqlServer>
{
    private readonly string _connectionString = server.CreateDatabase();

    private IHost StartHost(params (string Key, string Value)[] more)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        var settings = new Dictionary<string, string?>
        {
            ["LlmGateway:Database:Provider"] = "PostgreSql",
            ["LlmGateway:Database:ConnectionString"] = _connectionString,
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName)).AddDatabase();
        return builder.Build();
    }

    private string? Query(string sql)
    {
        using var connection = new NpgsqlConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task TheSchema_IsMigratedFromEmpty_AndASecondStartChangesNothing()
    {
        using (var host = StartHost())
        {
            await host.StartAsync();
            await host.StopAsync();
        }

        var migrations = Query("SELECT string_agg(\"MigrationId\", ',') FROM \"__EFMigrationsHistory\"");
        migrations.Should().NotBeNullOrEmpty();
        Query("SELECT string_agg(table_name, ',' ORDER BY table_name) FROM information_schema.tables WHERE table_schema = 'public'")
            .Should().Contain("gateway_keys").And.Contain("usage_totals").And.Contain("resource_owners");
        Query("INSERT INTO gateway_keys (id, hash, record) VALUES ('key_kept', 'h', '{}') RETURNING id").Should().Be("key_kept");

        using (var host = StartHost())
        {
            await host.StartAsync();
            await host.StopAsync();
        }

        Query("SELECT string_agg(\"MigrationId\", ',') FROM \"__EFMigrationsHistory\"").Should().Be(migrations);
        Query("SELECT id FROM gateway_keys").Should().Be("key_kept");
    }

    [Fact]
    public async Task KeysUsageAndOwnership_OutliveARestart_AndARotationRetiresTheOldHash()
    {
        var at = DateTimeOffset.UtcNow;
        using (var host = StartHost())
        {
            await host.StartAsync();
            var keys = host.Services.GetRequiredService<IKeyStore>();
            await keys.SaveAsync(new StoredKey { Id = "key_pg", Hash = "old-hash", Name = "pg", CreatedAt = at }, null, default);
            (await keys.FindByHashAsync("old-hash", default))!.Id.Should().Be("key_pg");
            await keys.SaveAsync(new StoredKey { Id = "key_pg", Hash = "new-hash", Name = "pg", CreatedAt = at, UpdatedAt = at }, "old-hash", default);
            (await keys.FindByHashAsync("old-hash", default)).Should().BeNull("the rotation retired the old hash at once");

            var usage = host.Services.GetRequiredService<IUsageStore>();
            await usage.AddAsync(new UsageEntry("key_pg", "gpt-4o-mini", "openai") { PromptTokens = 9, CompletionTokens = 3, Cost = 0.00000315m }, at, default);
            await usage.AddAsync(new UsageEntry("key_pg", "gpt-4o-mini", "openai") { PromptTokens = 9, CompletionTokens = 3, Cost = 0.00000315m }, at, default);

            var owners = host.Services.GetRequiredService<IResourceOwnerStore>();
            await owners.AddAsync(OwnedResourceKind.Response, "resp_1", new ResourceRecord("key_pg", "openai"));
            await owners.AddAsync(OwnedResourceKind.Response, "resp_1", new ResourceRecord("someone-else", "openai"));
            await host.StopAsync();
        }

        using var again = StartHost();
        await again.StartAsync();
        var found = await again.Services.GetRequiredService<IKeyStore>().FindByHashAsync("new-hash", default);
        found!.Id.Should().Be("key_pg");
        found.Name.Should().Be("pg");
        (await again.Services.GetRequiredService<IKeyStore>().FindByHashAsync("old-hash", default)).Should().BeNull();
        var totals = await again.Services.GetRequiredService<IUsageStore>().GetTotalsAsync("key_pg", UsagePeriod.Month, at, default);
        totals.Should().Be(new UsageTotals(24, 0.0000063m));
        (await again.Services.GetRequiredService<IResourceOwnerStore>().FindAsync(OwnedResourceKind.Response, "resp_1", default))
            .Should().Be(new ResourceRecord("key_pg", "openai"), "the first owner stands");
        await again.StopAsync();
    }

    [Fact]
    public async Task AGracefulStop_WritesEveryQueuedUsageRecord()
    {
        const int Calls = 1_000;
        using (var host = StartHost(("LlmGateway:Database:UsageFlushInterval", "01:00:00"), ("LlmGateway:Database:UsageFlushBatchSize", "1000000")))
        {
            await host.StartAsync();
            var store = host.Services.GetRequiredService<IUsageStore>();
            var at = DateTimeOffset.UtcNow;
            await Parallel.ForAsync(0, Calls, async (i, _) =>
                await store.AddAsync(new UsageEntry($"key-{i % 4}", "gpt-4o-mini", "openai") { PromptTokens = 2, CompletionTokens = 1 }, at, default));
            Query("SELECT count(*) FROM usage_totals").Should().Be("0", "the writer waits for its interval (an hour) or a full batch");

            await host.StopAsync();
        }

        Query("SELECT sum(requests) FROM usage_totals WHERE period = 1").Should().Be("1000");
        Query("SELECT sum(prompt_tokens + completion_tokens) FROM usage_totals WHERE period = 0").Should().Be("3000");
    }
}
