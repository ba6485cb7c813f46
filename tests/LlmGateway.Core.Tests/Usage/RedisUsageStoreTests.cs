using LlmGateway.Redis.Internal;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using StackExchange.Redis;
using static LlmGateway.Core.Tests.Usage.MemoryUsageStoreTests;

namespace LlmGateway.Core.Tests.Usage;

/// <summary>Two gateway instances (two connections, two stores) sharing one real Redis.</summary>
public sealed class RedisUsageStoreTests(RedisServer server) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private static readonly DateTimeOffset s_at = new(2026, 11, 27, 10, 30, 0, TimeSpan.Zero);

    private readonly string _prefix = RedisServer.UniquePrefix();
    private readonly List<IAsyncDisposable> _disposables = [];

    internal static RedisConnection Connect(RedisServer server, string prefix) =>
        new(Options.Create(new LlmGatewayOptions { Redis = server.ConnectionString, RedisKeyPrefix = prefix }), NullLogger<RedisConnection>.Instance);

    private RedisUsageStore CreateStore(out RedisConnection connection)
    {
        connection = Connect(server, _prefix);
        _disposables.Add(connection);
        return new RedisUsageStore(connection, NullLogger<RedisUsageStore>.Instance);
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var disposable in _disposables)
        {
            await disposable.DisposeAsync();
        }
    }

    [Fact]
    public async Task AddAsync_TwoInstances_AddUpInBoth()
    {
        var first = CreateStore(out _);
        var second = CreateStore(out _);

        await first.AddAsync(Call(prompt: 100, completion: 20, cached: 64, reasoning: 8, cost: 0.0015m), s_at, default);
        await second.AddAsync(Call(prompt: 7, completion: 3, cost: 0.000000123m, estimated: true), s_at.AddHours(2), default);
        await second.AddAsync(Call(model: "gemini-2.5-pro", provider: "gemini", prompt: 1, completion: 1, cost: 1m), s_at, default);

        var expected = new UsageTotals(132, 1.001500123m);
        (await first.GetTotalsAsync("key-a", UsagePeriod.Day, s_at, default)).Should().Be(expected);
        (await second.GetTotalsAsync("key-a", UsagePeriod.Day, s_at, default)).Should().Be(expected);
        (await first.GetTotalsAsync("key-a", UsagePeriod.Month, s_at, default)).Should().Be(expected);
        var entries = await first.ListAsync("key-a", UsagePeriod.Month, s_at, default);
        entries.Should().BeEquivalentTo(
            [
                new UsageEntry("key-a", "gemini-2.5-pro", "gemini") { Requests = 1, PromptTokens = 1, CompletionTokens = 1, Cost = 1m },
                new UsageEntry("key-a", "gpt-4o", "openai")
                {
                    Requests = 2, PromptTokens = 107, CompletionTokens = 23, CachedTokens = 64, ReasoningTokens = 8,
                    EstimatedRequests = 1, Cost = 0.001500123m,
                },
            ],
            o => o.WithStrictOrdering());
    }

    [Fact]
    public async Task GetTotalsAsync_DifferentDaysOfOneMonth_SplitsDaysAndSumsTheMonth()
    {
        var store = CreateStore(out _);
        var lastDay = new DateTimeOffset(2026, 11, 30, 23, 59, 59, TimeSpan.Zero);

        await store.AddAsync(Call(prompt: 10, completion: 0, cost: 0.1m), s_at, default);
        await store.AddAsync(Call(prompt: 5, completion: 0, cost: 0.2m), lastDay, default);
        await store.AddAsync(Call(prompt: 1, completion: 0, cost: 0.4m), lastDay.AddSeconds(1), default);

        (await store.GetTotalsAsync("key-a", UsagePeriod.Day, s_at, default)).Should().Be(new UsageTotals(10, 0.1m));
        (await store.GetTotalsAsync("key-a", UsagePeriod.Day, lastDay, default)).Should().Be(new UsageTotals(5, 0.2m));
        (await store.GetTotalsAsync("key-a", UsagePeriod.Month, s_at, default)).Should().Be(new UsageTotals(15, 0.3m));
        (await store.GetTotalsAsync("key-a", UsagePeriod.Month, lastDay.AddSeconds(1), default)).Should().Be(new UsageTotals(1, 0.4m));
        (await store.GetTotalsAsync("nobody", UsagePeriod.Month, s_at, default)).Should().Be(default(UsageTotals));
    }

    [Fact]
    public async Task ListAsync_AllKeys_ListsEveryKeyOfThePeriod()
    {
        var store = CreateStore(out _);
        await store.AddAsync(Call(keyId: "key-b"), s_at, default);
        await store.AddAsync(Call(keyId: "key-a", model: "m2"), s_at, default);
        await store.AddAsync(Call(keyId: "key-a", model: "m1"), s_at, default);
        await store.AddAsync(Call(keyId: "key-c"), s_at.AddDays(1), default);

        var day = await store.ListAsync(null, UsagePeriod.Day, s_at, default);
        var month = await store.ListAsync(null, UsagePeriod.Month, s_at, default);

        day.Select(e => (e.KeyId, e.Model)).Should().Equal(("key-a", "m1"), ("key-a", "m2"), ("key-b", "gpt-4o"));
        month.Select(e => e.KeyId).Should().Equal("key-a", "key-a", "key-b", "key-c");
        (await store.ListAsync(null, UsagePeriod.Day, s_at.AddDays(-1), default)).Should().BeEmpty();
    }

    [Theory]
    [InlineData("org|model", "pro|vider")]
    [InlineData("100%|%7C", "%25")]
    [InlineData("_", "_")]
    [InlineData("", "ft:gpt-4o:acme:x:1")]
    public async Task ListAsync_NamesWithSeparatorsOrEscapes_RoundTripAndLeaveTotalsAlone(string model, string provider)
    {
        var store = CreateStore(out _);

        await store.AddAsync(Call(model: model, provider: provider, prompt: 3, completion: 4, cost: 0.5m), s_at, default);
        await store.AddAsync(Call(prompt: 1, completion: 1, cost: 0.25m), s_at, default);

        var entries = await store.ListAsync("key-a", UsagePeriod.Day, s_at, default);
        entries.Should().HaveCount(2);
        entries.Should().ContainSingle(e => e.Model == model && e.Provider == provider)
            .Which.Should().BeEquivalentTo(new { PromptTokens = 3L, CompletionTokens = 4L, Cost = 0.5m, Requests = 1L });
        (await store.GetTotalsAsync("key-a", UsagePeriod.Day, s_at, default)).Should().Be(new UsageTotals(9, 0.75m));
    }

    [Fact]
    public async Task AddAsync_WritesTheDocumentedKeysFieldsAndExpiry()
    {
        var store = CreateStore(out _);
        await store.AddAsync(Call(prompt: 100, completion: 20, cached: 64, cost: 0.0015m), s_at, default);

        await using var raw = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var db = raw.GetDatabase();
        var dayKey = $"{_prefix}usage:d:2026-11-27:key-a";
        var monthKey = $"{_prefix}usage:m:2026-11:key-a";

        foreach (var key in new[] { dayKey, monthKey })
        {
            (await db.HashGetAsync(key, "gpt-4o|openai|requests")).Should().Be((RedisValue)1);
            (await db.HashGetAsync(key, "gpt-4o|openai|prompt")).Should().Be((RedisValue)100);
            (await db.HashGetAsync(key, "gpt-4o|openai|cached")).Should().Be((RedisValue)64);
            (await db.HashGetAsync(key, "gpt-4o|openai|cost")).Should().Be((RedisValue)1_500_000);
            (await db.HashGetAsync(key, "_|_|tokens")).Should().Be((RedisValue)120);
            (await db.HashGetAsync(key, "_|_|cost")).Should().Be((RedisValue)1_500_000);
            (await db.HashExistsAsync(key, "gpt-4o|openai|reasoning")).Should().BeFalse("a counter that adds 0 is not written");
        }

        (await db.SetContainsAsync($"{_prefix}usage:keys:d:2026-11-27", "key-a")).Should().BeTrue();
        (await db.SetContainsAsync($"{_prefix}usage:keys:m:2026-11", "key-a")).Should().BeTrue();
        (await db.KeyTimeToLiveAsync(dayKey)).Should().BeCloseTo(TimeSpan.FromDays(40), TimeSpan.FromMinutes(1));
        (await db.KeyTimeToLiveAsync(monthKey)).Should().BeCloseTo(TimeSpan.FromDays(400), TimeSpan.FromMinutes(1));
        (await db.KeyTimeToLiveAsync($"{_prefix}usage:keys:m:2026-11")).Should().BeCloseTo(TimeSpan.FromDays(400), TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task AddAsync_ConcurrentCallsFromTwoInstances_LoseNothing()
    {
        var first = CreateStore(out _);
        var second = CreateStore(out _);
        const int Calls = 400;

        await Parallel.ForAsync(0, Calls, async (i, _) =>
            await (i % 2 == 0 ? first : second).AddAsync(Call(prompt: 2, completion: 1, cost: 0.000001m), s_at, default));

        (await first.GetTotalsAsync("key-a", UsagePeriod.Month, s_at, default)).Should().Be(new UsageTotals(Calls * 3, Calls * 0.000001m));
        (await second.ListAsync(null, UsagePeriod.Day, s_at, default)).Single().Requests.Should().Be(Calls);
    }
}

/// <summary>Redis goes away and comes back (its own server: stopping it must not disturb other tests).</summary>
public sealed class RedisUsageStoreOutageTests(RedisServer server) : IClassFixture<RedisServer>
{
    private static readonly DateTimeOffset s_at = new(2026, 11, 27, 10, 30, 0, TimeSpan.Zero);

    [Fact]
    public async Task AddAsync_RedisDownThenBack_KeepsUsageLocallyThenAddsItToRedisExactlyOnce()
    {
        var prefix = RedisServer.UniquePrefix();
        await using var writerConnection = RedisUsageStoreTests.Connect(server, prefix);
        await using var readerConnection = RedisUsageStoreTests.Connect(server, prefix);
        using var writer = new RedisUsageStore(writerConnection, NullLogger<RedisUsageStore>.Instance);
        using var reader = new RedisUsageStore(readerConnection, NullLogger<RedisUsageStore>.Instance);
        await writer.AddAsync(Call(prompt: 100, completion: 10, cost: 2m), s_at, default);
        (await writer.GetTotalsAsync("key-a", UsagePeriod.Day, s_at, default)).Should().Be(new UsageTotals(110, 2m));

        server.Stop();
        try
        {
            var add = async () =>
            {
                await writer.AddAsync(Call(prompt: 7, completion: 3, cost: 0.5m), s_at, default);
                await writer.AddAsync(Call(model: "m2", prompt: 7, completion: 3, cost: 0.5m, estimated: true), s_at, default);
            };
            await add.Should().NotThrowAsync();

            writerConnection.IsDegraded.Should().BeTrue();
            writer.HasPending.Should().BeTrue();
            (await writer.GetTotalsAsync("key-a", UsagePeriod.Day, s_at, default))
                .Should().Be(new UsageTotals(130, 3m), "while degraded, reads are the last totals from Redis plus what is pending");
            (await writer.ListAsync("key-a", UsagePeriod.Month, s_at, default)).Sum(e => e.Requests).Should().Be(2, "a listing while degraded shows what is pending");
        }
        finally
        {
            server.Start();
        }

        // The restarted server kept nothing (no persistence): once the writer catches up, Redis holds exactly the pending
        // usage. The reader has nothing pending, so what it reads while connected is Redis itself.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        UsageTotals seen;
        do
        {
            seen = await reader.GetTotalsAsync("key-a", UsagePeriod.Day, s_at, default);
            if (!readerConnection.IsDegraded && seen == new UsageTotals(20, 1m))
            {
                break;
            }

            await Task.Delay(50);
        }
        while (DateTime.UtcNow < deadline);

        readerConnection.IsDegraded.Should().BeFalse();
        seen.Should().Be(new UsageTotals(20, 1m), "the usage recorded during the outage is added once");
        writer.HasPending.Should().BeFalse();
        writerConnection.IsDegraded.Should().BeFalse();

        await writer.AddAsync(Call(prompt: 1, completion: 1, cost: 0.25m), s_at, default);
        (await reader.GetTotalsAsync("key-a", UsagePeriod.Month, s_at, default)).Should().Be(new UsageTotals(22, 1.25m));
        (await writer.GetTotalsAsync("key-a", UsagePeriod.Month, s_at, default)).Should().Be(new UsageTotals(22, 1.25m));
        var entries = await reader.ListAsync("key-a", UsagePeriod.Day, s_at, default);
        entries.Select(e => (e.Model, e.Requests, e.EstimatedRequests)).Should().Equal(("gpt-4o", 2L, 0L), ("m2", 1L, 1L));
    }

    [Fact]
    public async Task AddAsync_RedisRefusesTheWrite_AddsNothingKeepsItPendingAndAddsItOnceWhenAccepted()
    {
        var prefix = RedisServer.UniquePrefix();
        await using var writerConnection = RedisUsageStoreTests.Connect(server, prefix);
        await using var readerConnection = RedisUsageStoreTests.Connect(server, prefix);
        using var writer = new RedisUsageStore(writerConnection, NullLogger<RedisUsageStore>.Instance);
        using var reader = new RedisUsageStore(readerConnection, NullLogger<RedisUsageStore>.Instance);
        await using var raw = await ConnectionMultiplexer.ConnectAsync(server.ConnectionString);
        var blocker = $"{prefix}usage:d:2026-11-27:key-a";
        await raw.GetDatabase().StringSetAsync(blocker, "not a hash");

        await writer.AddAsync(Call(prompt: 7, completion: 3, cost: 0.5m), s_at, default);

        writer.HasPending.Should().BeTrue();
        writerConnection.IsDegraded.Should().BeFalse("Redis answered: it is there, it refused");
        (await reader.GetTotalsAsync("key-a", UsagePeriod.Month, s_at, default))
            .Should().Be(default(UsageTotals), "the month is not written when the day cannot be");

        // A write of another key succeeds and starts a flush, which Redis refuses as well: the usage goes back.
        await writer.AddAsync(Call(keyId: "key-b"), s_at, default);
        await writer.LastFlush;
        writer.HasPending.Should().BeTrue();
        (await reader.GetTotalsAsync("key-a", UsagePeriod.Month, s_at, default)).Should().Be(default(UsageTotals));

        await raw.GetDatabase().KeyDeleteAsync(blocker);
        await writer.AddAsync(Call(keyId: "key-b"), s_at, default);
        await writer.LastFlush;
        await writer.AddAsync(Call(keyId: "key-b"), s_at, default);
        await writer.LastFlush;

        writer.HasPending.Should().BeFalse();
        (await reader.GetTotalsAsync("key-a", UsagePeriod.Day, s_at, default)).Should().Be(new UsageTotals(10, 0.5m));
        (await reader.GetTotalsAsync("key-a", UsagePeriod.Month, s_at, default)).Should().Be(new UsageTotals(10, 0.5m));
        (await writer.GetTotalsAsync("key-a", UsagePeriod.Month, s_at, default)).Should().Be(new UsageTotals(10, 0.5m));
        (await reader.ListAsync("key-b", UsagePeriod.Day, s_at, default)).Single().Requests.Should().Be(3);
    }
}
