using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using LlmGateway.AspNetCore.Tests.Infrastructure;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using WireMock.RequestBuilders;
using WireMock.ResponseBuilders;
using WireMock.Server;

namespace LlmGateway.AspNetCore.Tests;

/// <summary>
/// The thin host's database (LlmGateway.EntityFrameworkCore, SQLite by default) against a real file in a temporary
/// folder: what the admin API created, usage and spent budgets outlive the host; the schema is migrated from empty and
/// a second start on an up-to-date file changes nothing; a graceful stop writes every queued usage record.
/// </summary>
public sealed class DatabaseStoreTests : IDisposable
{
    private const string AdminKey = "database-test-admin-key";
    private const string ConfiguredKey = "lgw-database-test-key";
    private readonly WireMockServer _upstream = WireMockServer.Start();
    private readonly string _dataDirectory = Directory.CreateTempSubdirectory("llmgateway-db-tests-").FullName;

    public DatabaseStoreTests()
    {
        _upstream.Given(Request.Create().WithPath("/v1/chat/completions").UsingPost())
            .RespondWith(Response.Create().WithStatusCode(200).WithHeader("Content-Type", "application/json").WithBody(Bodies.ChatCompletion));
    }

    public void Dispose()
    {
        _upstream.Stop();
        _upstream.Dispose();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dataDirectory, recursive: true);
    }

    private string DatabaseFile => Path.Combine(_dataDirectory, DatabaseOptions.DefaultSqliteFileName);

    private GatewayHost Host(params (string Key, string Value)[] more)
    {
        var settings = new Dictionary<string, string?>
        {
            ["LlmGateway:DataDirectory"] = _dataDirectory,
            ["LlmGateway:Auth:Mode"] = "Gateway",
            ["LlmGateway:Auth:AdminKey"] = AdminKey,
            ["LlmGateway:Auth:Keys:0:Key"] = ConfiguredKey,
            ["LlmGateway:Auth:Keys:0:Name"] = "configured",
        };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        return new GatewayHost(_upstream.Urls[0] + "/v1", settings);
    }

    private static async Task<HttpStatusCode> ChatAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Content = new StringContent("""{"model":"gpt-4o-mini","messages":[{"role":"user","content":"Hi"}]}""", Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task AKeyCreatedThroughTheAdminApi_WorksAfterARestartOnTheSameFile()
    {
        string secret;
        string id;
        await using (var first = Host())
        {
            using var client = first.CreateClient();
            using var create = new HttpRequestMessage(HttpMethod.Post, "/admin/keys") { Content = JsonContent.Create(new { name = "durable", requests_per_minute = 100 }) };
            create.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
            using var created = await client.SendAsync(create);
            created.StatusCode.Should().Be(HttpStatusCode.Created);
            using var body = JsonDocument.Parse(await created.Content.ReadAsStringAsync());
            secret = body.RootElement.GetProperty("key").GetString()!;
            id = body.RootElement.GetProperty("id").GetString()!;
            (await ChatAsync(client, secret)).Should().Be(HttpStatusCode.OK);
        }

        File.Exists(DatabaseFile).Should().BeTrue("the host made the SQLite file in its data directory");
        File.ReadAllText(DatabaseFile + "-wal", Encoding.Latin1).Should().NotContain(secret, "only the key's hash is stored");

        await using var second = Host();
        using var again = second.CreateClient();
        (await ChatAsync(again, secret)).Should().Be(HttpStatusCode.OK, "the key was read from the database the first host wrote");
        using var list = new HttpRequestMessage(HttpMethod.Get, "/admin/keys");
        list.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AdminKey);
        using var listed = await again.SendAsync(list);
        (await listed.Content.ReadAsStringAsync()).Should().Contain(id).And.Contain("\"durable\"");
    }

    [Fact]
    public async Task UsageAndASpentBudget_OutliveARestart()
    {
        await using (var first = Host(("LlmGateway:Auth:Keys:0:Budget:DailyTokens", "20")))
        {
            using var client = first.CreateClient();
            (await ChatAsync(client, ConfiguredKey)).Should().Be(HttpStatusCode.OK); // 12 tokens
            (await ChatAsync(client, ConfiguredKey)).Should().Be(HttpStatusCode.OK); // 24: over, let in at 12
            (await ChatAsync(client, ConfiguredKey)).Should().Be(HttpStatusCode.TooManyRequests);
        }

        await using var second = Host(("LlmGateway:Auth:Keys:0:Budget:DailyTokens", "20"));
        using var again = second.CreateClient();
        (await ChatAsync(again, ConfiguredKey)).Should().Be(HttpStatusCode.TooManyRequests, "the budget spent before the restart is still spent");
        var usage = await second.Services.GetRequiredService<IUsageStore>().ListAsync("configured", UsagePeriod.Month, DateTimeOffset.UtcNow, default);
        var entry = usage.Should().ContainSingle().Subject;
        entry.Requests.Should().Be(2);
        entry.PromptTokens.Should().Be(18);
        entry.CompletionTokens.Should().Be(6);
        entry.Cost.Should().BeGreaterThan(0);
    }

    [Fact]
    public async Task TheSchema_IsMigratedFromEmpty_AndASecondStartOnAnUpToDateFileChangesNothing()
    {
        File.Exists(DatabaseFile).Should().BeFalse();
        using (var host = StartHost())
        {
            await host.StartAsync();
            await host.StopAsync();
        }

        var migrations = Query("SELECT group_concat(MigrationId) FROM __EFMigrationsHistory");
        migrations.Should().NotBeNullOrEmpty();
        Query("SELECT group_concat(name) FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name")
            .Should().Contain("gateway_keys").And.Contain("usage_totals").And.Contain("resource_owners");
        Query("INSERT INTO gateway_keys (id, hash, record) VALUES ('key_kept', 'h', '{}') RETURNING id").Should().Be("key_kept");

        using (var host = StartHost())
        {
            await host.StartAsync();
            await host.StopAsync();
        }

        Query("SELECT group_concat(MigrationId) FROM __EFMigrationsHistory").Should().Be(migrations);
        Query("SELECT id FROM gateway_keys").Should().Be("key_kept", "a start on an up-to-date database keeps its rows");
    }

    [Fact]
    public async Task AStartOnADatabaseThatRefusesTheMigration_FailsWithTheReason()
    {
        // A file that is not a SQLite database.
        await File.WriteAllTextAsync(DatabaseFile, "not a database, but long enough to have a header of its own......................................");
        using var host = StartHost();

        var start = async () => await host.StartAsync();

        (await start.Should().ThrowAsync<InvalidOperationException>()).Which.Message
            .Should().Contain("could not be migrated").And.Contain(DatabaseFile);
    }

    [Fact]
    public async Task AGracefulStop_WritesEveryQueuedUsageRecord()
    {
        const int Calls = 2_000;
        using (var host = StartHost(("LlmGateway:Database:UsageFlushInterval", "01:00:00"), ("LlmGateway:Database:UsageFlushBatchSize", "1000000")))
        {
            await host.StartAsync();
            var store = host.Services.GetRequiredService<IUsageStore>();
            var at = DateTimeOffset.UtcNow;
            await Parallel.ForAsync(0, Calls, async (i, _) =>
                await store.AddAsync(new UsageEntry($"key-{i % 3}", "gpt-4o-mini", "openai") { PromptTokens = 3, CompletionTokens = 1, Cost = 0.000001m }, at, default));

            Query("SELECT count(*) FROM usage_totals").Should().Be("0", "the writer waits for its interval (an hour) or a full batch");
            var totals = await store.GetTotalsAsync("key-0", UsagePeriod.Day, at, default);
            totals.Tokens.Should().Be(4 * 667, "totals include what is queued, not yet written");

            await host.StopAsync();
        }

        Query("SELECT sum(requests) FROM usage_totals WHERE period = 0").Should().Be(Calls.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Query("SELECT sum(requests) FROM usage_totals WHERE period = 1").Should().Be(Calls.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Query("SELECT sum(cost_nanos) FROM usage_totals WHERE period = 1").Should().Be((Calls * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public async Task WhileTheDatabaseCannotBeRead_KnownKeysWork_AdminReadsSay503_UsageWaitsAndIsWrittenWhenItIsBack()
    {
        var clock = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var at = clock.GetUtcNow();
        using var host = StartHost(clock, ("LlmGateway:Database:UsageFlushInterval", "00:00:00.050"));
        await host.StartAsync();
        var keys = host.Services.GetRequiredService<IKeyStore>();
        var usage = host.Services.GetRequiredService<IUsageStore>();
        await keys.SaveAsync(new StoredKey { Id = "key_outage", Hash = "outage-hash", CreatedAt = at }, null, default);
        (await keys.FindByHashAsync("outage-hash", default))!.Id.Should().Be("key_outage");
        await usage.AddAsync(new UsageEntry("key_outage", "gpt-4o-mini", "openai") { PromptTokens = 9, CompletionTokens = 3 }, at, default);
        await UntilAsync(() => Query("SELECT count(*) FROM usage_totals") == "2"); // the day's row and the month's, written
        (await usage.GetTotalsAsync("key_outage", UsagePeriod.Day, at, default)).Tokens.Should().Be(12);

        // The tables go away (as a database that cannot be read); the key's cached record is past its 5 s.
        Query("ALTER TABLE gateway_keys RENAME TO gateway_keys_away; ALTER TABLE usage_totals RENAME TO usage_totals_away; SELECT 1");
        clock.Advance(TimeSpan.FromSeconds(10));

        (await keys.FindByHashAsync("outage-hash", default))!.Id.Should().Be("key_outage", "a lookup answers from what this instance read last");
        (await keys.FindByHashAsync("unknown-hash", default)).Should().BeNull("an unknown key is unknown, not an error");
        var read = async () => await keys.GetAsync("key_outage", default);
        await read.Should().ThrowAsync<KeyStoreUnavailableException>();
        await usage.AddAsync(new UsageEntry("key_outage", "gpt-4o-mini", "openai") { PromptTokens = 9, CompletionTokens = 3 }, at, default);
        (await usage.GetTotalsAsync("key_outage", UsagePeriod.Day, at, default)).Tokens.Should().Be(24, "the last totals read plus what waits to be written");

        Query("ALTER TABLE gateway_keys_away RENAME TO gateway_keys; ALTER TABLE usage_totals_away RENAME TO usage_totals; SELECT 1");
        await host.StopAsync();

        Query("SELECT sum(prompt_tokens + completion_tokens) FROM usage_totals WHERE period = 0").Should().Be("24", "what waited was written once the database was back");
    }

    /// <summary>A generic host with the gateway and its database only (no HTTP), on the test's data directory.</summary>
    private IHost StartHost(params (string Key, string Value)[] more) => StartHost(null, more);

    private IHost StartHost(TimeProvider? clock, params (string Key, string Value)[] more)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = _dataDirectory, DisableDefaults = true });
        var settings = new Dictionary<string, string?> { ["LlmGateway:DataDirectory"] = _dataDirectory };
        foreach (var (key, value) in more)
        {
            settings[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        if (clock is not null)
        {
            builder.Services.AddSingleton(clock);
        }

        builder.Services.AddLlmGateway(builder.Configuration.GetSection(LlmGatewayOptions.SectionName)).AddDatabase();
        return builder.Build();
    }

    /// <summary>Polls <paramref name="condition"/> until it holds (the background writer is asynchronous), failing after
    /// 10 s.</summary>
    private static async Task UntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        while (!condition())
        {
            DateTime.UtcNow.Should().BeBefore(deadline, "the background writer writes within its interval");
            await Task.Delay(20);
        }
    }

    private string? Query(string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabaseFile, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        return Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture);
    }
}
