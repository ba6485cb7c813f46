using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;
using LlmGateway.Redis.Internal;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using StackExchange.Redis;

namespace LlmGateway.Core.Tests.Cache;

/// <summary>Gateway instances (one connection and one store each) sharing a real Redis.</summary>
public sealed class RedisCacheStoreTests(RedisServer server) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(5);

    private readonly string _prefix = RedisServer.UniquePrefix();
    private readonly List<RedisConnection> _connections = [];
    private readonly List<TwoLevelCacheStore> _stores = [];
    private readonly Dictionary<TwoLevelCacheStore, MemoryResponseCacheStore> _near = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var store in _stores)
        {
            store.Dispose();
            _near[store].Dispose();
        }

        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    private RedisConnection Connect(string? prefix = null)
    {
        var connection = new RedisConnection(
            Options.Create(new LlmGatewayOptions { Redis = server.ConnectionString, RedisKeyPrefix = prefix ?? _prefix }),
            NullLogger<RedisConnection>.Instance);
        _connections.Add(connection);
        return connection;
    }

    /// <summary>One gateway instance: its own connection and store.</summary>
    private (TwoLevelCacheStore Store, RedisConnection Connection) CreateInstance(TimeProvider? time = null, string? prefix = null)
    {
        var connection = Connect(prefix);
        var options = new LlmGatewayOptions();
        var monitor = new FakeOptionsMonitor(options);
        var near = new MemoryResponseCacheStore(monitor, time ?? TimeProvider.System, NullLogger<MemoryResponseCacheStore>.Instance);
        var store = new TwoLevelCacheStore(connection, near, monitor, time ?? TimeProvider.System, NullLogger<TwoLevelCacheStore>.Instance);
        _stores.Add(store);
        _near.Add(store, near);
        return (store, connection);
    }

    /// <summary>A direct look at Redis, as no instance sees it.</summary>
    private async Task<IDatabase> DatabaseAsync() => await Connect().GetDatabaseAsync();

    private string RedisKey(string key) => $"{_prefix}cache:{key}";

    private static CacheEntryInfo Info(string key, string model = "gpt-4o", string provider = "openai") =>
        new(key, model, provider, DateTimeOffset.UtcNow);

    [Fact]
    public async Task GetAsync_EntrySetOnAnotherInstance_ReadFromRedisThenFromMemory()
    {
        var (a, _) = CreateInstance();
        var (b, _) = CreateInstance();
        var blob = MemoryResponseCacheStoreTests.Blob("shared");
        await a.SetAsync(Info("v1:k:exact:1"), blob, TimeSpan.FromMinutes(10), default);
        _near[b].HoldsInMemory("v1:k:exact:1").Should().BeFalse();

        var fromRedis = await b.GetAsync("v1:k:exact:1", default);

        fromRedis.Should().NotBeNull();
        fromRedis!.Value.Blob.Should().Equal(blob);
        fromRedis.Value.Remaining.Should().BeGreaterThan(TimeSpan.FromMinutes(9)).And.BeLessThanOrEqualTo(TimeSpan.FromMinutes(10));
        _near[b].HoldsInMemory("v1:k:exact:1").Should().BeTrue();

        // Gone from Redis (behind the stores' backs): B still answers, from its memory; a third instance does not.
        (await (await DatabaseAsync()).KeyDeleteAsync(RedisKey("v1:k:exact:1"))).Should().BeTrue();
        (await b.GetAsync("v1:k:exact:1", default))!.Value.Blob.Should().Equal(blob);
        (await CreateInstance().Store.GetAsync("v1:k:exact:1", default)).Should().BeNull();
    }

    [Fact]
    public async Task SetAsync_WritesOneHashWithTheEntrysFieldsExpiringWithIt()
    {
        var (sut, connection) = CreateInstance();
        var info = Info("v1:k:exact:1", "gpt-4o-mini", "azure-east");
        var blob = MemoryResponseCacheStoreTests.Blob("x");

        await sut.SetAsync(info, blob, TimeSpan.FromMinutes(3), default);

        var database = await DatabaseAsync();
        var key = RedisKey("v1:k:exact:1");
        (await database.KeyTypeAsync(key)).Should().Be(RedisType.Hash);
        var fields = (await database.HashGetAllAsync(key)).ToDictionary(static e => e.Name.ToString(), static e => e.Value);
        fields.Keys.Should().BeEquivalentTo("m", "p", "c", "b");
        fields["m"].ToString().Should().Be("gpt-4o-mini");
        fields["p"].ToString().Should().Be("azure-east");
        ((long)fields["c"]).Should().Be(info.CreatedAt.ToUnixTimeMilliseconds());
        ((byte[])fields["b"]!).Should().Equal(blob);
        var ttl = await database.KeyTimeToLiveAsync(key);
        ttl.Should().NotBeNull();
        ttl!.Value.Should().BePositive().And.BeLessThanOrEqualTo(TimeSpan.FromMinutes(3));
        connection.IsDegraded.Should().BeFalse();
    }

    [Fact]
    public async Task GetAsync_FromRedis_KeptInMemoryForTheRemainingLifetimeOnly()
    {
        var (a, _) = CreateInstance();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var (b, _) = CreateInstance(time);
        await a.SetAsync(Info("v1:k:exact:1"), MemoryResponseCacheStoreTests.Blob("x"), TimeSpan.FromMinutes(10), default);
        var database = await DatabaseAsync();
        await database.KeyExpireAsync(RedisKey("v1:k:exact:1"), TimeSpan.FromSeconds(30));

        var hit = await b.GetAsync("v1:k:exact:1", default);

        hit!.Value.Remaining.Should().BePositive().And.BeLessThanOrEqualTo(TimeSpan.FromSeconds(30));
        await database.KeyDeleteAsync(RedisKey("v1:k:exact:1"));
        (await b.GetAsync("v1:k:exact:1", default)).Should().NotBeNull("memory holds it");
        time.Advance(hit.Value.Remaining);
        (await b.GetAsync("v1:k:exact:1", default)).Should().BeNull("its remaining lifetime is over");
    }

    /// <summary>A purges; B had read every entry into its memory. The count is Redis's; B drops the matching entries
    /// when A's message arrives.</summary>
    [Theory]
    [MemberData(nameof(MemoryResponseCacheStoreTests.PurgeCases), MemberType = typeof(MemoryResponseCacheStoreTests))]
    public async Task PurgeAsync_Criteria_RemovesMatchingEntriesFromRedisAndOtherInstancesMemory(string? model, string? provider, string? keyPrefix, int? olderThanMinutes, int[] removed)
    {
        var (writer, _) = CreateInstance();
        var (a, _) = CreateInstance();
        var (b, _) = CreateInstance();
        var entries = MemoryResponseCacheStoreTests.PurgeEntries(DateTimeOffset.UtcNow);
        foreach (var entry in entries)
        {
            await writer.SetAsync(entry, MemoryResponseCacheStoreTests.Blob(entry.Key), TimeSpan.FromHours(1), default);
            (await b.GetAsync(entry.Key, default)).Should().NotBeNull();
        }

        var count = await a.PurgeAsync(MemoryResponseCacheStoreTests.Purge(model, provider, keyPrefix, olderThanMinutes), default);

        count.Should().Be(removed.Length);
        var database = await DatabaseAsync();
        for (var i = 0; i < entries.Length; i++)
        {
            (await database.KeyExistsAsync(RedisKey(entries[i].Key))).Should().Be(!removed.Contains(i), $"entry {i}");
        }

        var key = entries.Select(static e => e.Key).ToArray();
        (await MemoryResponseCacheStoreTests.EventuallyAsync(
                () => Task.FromResult(removed.All(i => !_near[b].HoldsInMemory(key[i])) && removed.All(i => !_near[writer].HoldsInMemory(key[i]))),
                s_deadline))
            .Should().BeTrue("the purge message reaches every instance");
        for (var i = 0; i < entries.Length; i++)
        {
            if (!removed.Contains(i))
            {
                _near[b].HoldsInMemory(key[i]).Should().BeTrue($"entry {i} does not match");
            }
        }
    }

    [Fact]
    public async Task PurgeAsync_MoreEntriesThanOneScanPage_MatchesAndCountsThemAll()
    {
        var (writer, _) = CreateInstance();
        var (sut, _) = CreateInstance();
        await Task.WhenAll(Enumerable.Range(0, 2500).Select(i =>
            writer.SetAsync(Info($"v1:k:exact:{i}", i % 2 == 0 ? "even" : "odd"), [1, 2, 3], TimeSpan.FromHours(1), default).AsTask()));

        (await sut.PurgeAsync(new CachePurge(Model: "even"), default)).Should().Be(1250);
        (await sut.PurgeAsync(new CachePurge(), default)).Should().Be(1250);

        (await sut.PurgeAsync(new CachePurge(), default)).Should().Be(0);
        (await (await DatabaseAsync()).KeyExistsAsync(RedisKey("v1:k:exact:1"))).Should().BeFalse();
    }

    [Fact]
    public async Task PurgeAsync_PrefixesWithPatternCharacters_MatchOnlyThemselves()
    {
        var (star, _) = CreateInstance(prefix: _prefix + "*:");
        var (plain, _) = CreateInstance(prefix: _prefix + "x:");
        await star.SetAsync(Info("v1:t*:exact:1"), [1], TimeSpan.FromHours(1), default);
        await star.SetAsync(Info("v1:tx:exact:2"), [2], TimeSpan.FromHours(1), default);
        await plain.SetAsync(Info("v1:t*:exact:1"), [3], TimeSpan.FromHours(1), default);

        (await star.PurgeAsync(new CachePurge(KeyPrefix: "v1:t*:"), default)).Should().Be(1);
        (await star.PurgeAsync(new CachePurge(), default)).Should().Be(1, "the other instance's prefix is not this one's");

        var database = await DatabaseAsync();
        (await database.KeyExistsAsync($"{_prefix}x:cache:v1:t*:exact:1")).Should().BeTrue();
    }

    [Fact]
    public async Task RedisStopped_NothingThrowsMemoryServesAndRedisIsUsedAgainWhenBack()
    {
        var (a, connection) = CreateInstance();
        var (b, _) = CreateInstance();
        await a.SetAsync(Info("v1:k:exact:1"), [1], TimeSpan.FromHours(1), default);
        (await b.GetAsync("v1:k:exact:1", default)).Should().NotBeNull();

        server.Stop();
        try
        {
            (await a.GetAsync("v1:k:exact:1", default)).Should().NotBeNull("A holds it in memory");
            (await b.GetAsync("v1:k:exact:1", default)).Should().NotBeNull("B read it into memory");
            (await b.GetAsync("v1:k:exact:unknown", default)).Should().BeNull();

            await a.SetAsync(Info("v1:k:exact:2", model: "other"), [2], TimeSpan.FromHours(1), default);
            (await a.GetAsync("v1:k:exact:2", default)).Should().NotBeNull("written to memory");
            (await b.GetAsync("v1:k:exact:2", default)).Should().BeNull("Redis is away and B never had it");
            connection.IsDegraded.Should().BeTrue();

            (await a.PurgeAsync(new CachePurge(Model: "gpt-4o"), default)).Should().Be(1, "this instance's memory held one match");
            (await a.GetAsync("v1:k:exact:1", default)).Should().BeNull();
            (await a.GetAsync("v1:k:exact:2", default)).Should().NotBeNull();

            // An instance that starts while Redis is away (its first commands also try to subscribe to purges).
            var (late, _) = CreateInstance();
            (await late.GetAsync("v1:k:exact:1", default)).Should().BeNull();
            await late.SetAsync(Info("v1:k:exact:3"), [3], TimeSpan.FromHours(1), default);
            (await late.GetAsync("v1:k:exact:3", default)).Should().NotBeNull();
            (await late.PurgeAsync(new CachePurge(), default)).Should().Be(1);
        }
        finally
        {
            server.Start();
        }

        var checker = Connect();
        (await MemoryResponseCacheStoreTests.EventuallyAsync(
                async () =>
                {
                    await a.SetAsync(Info("v1:k:exact:4"), [4], TimeSpan.FromHours(1), default);
                    try
                    {
                        return await (await checker.GetDatabaseAsync()).KeyExistsAsync(RedisKey("v1:k:exact:4"));
                    }
                    catch (Exception ex) when (RedisConnection.IsUnavailable(ex))
                    {
                        return false;
                    }
                },
                TimeSpan.FromSeconds(20)))
            .Should().BeTrue("writes reach Redis again once it is back");
        connection.IsDegraded.Should().BeFalse();
        (await MemoryResponseCacheStoreTests.EventuallyAsync(async () => await b.GetAsync("v1:k:exact:4", default) is not null, TimeSpan.FromSeconds(20)))
            .Should().BeTrue("B reads from Redis again once its connection is back");
    }
}
