using System.Diagnostics;
using System.Text;
using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Core.Tests.Cache;

/// <summary>The store without Redis: memory only.</summary>
public sealed class MemoryResponseCacheStoreTests : IDisposable
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 1, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly List<IDisposable> _disposables = [];

    public void Dispose()
    {
        foreach (var disposable in _disposables)
        {
            disposable.Dispose();
        }
    }

    /// <summary>Entries of two callers, three models and three providers, two hours, ten minutes and no time old.</summary>
    internal static CacheEntryInfo[] PurgeEntries(DateTimeOffset now) =>
    [
        new("v1:team-a:exact:1", "gpt-4o", "openai", now.AddHours(-2)),
        new("v1:team-a:exact:2", "gpt-4o-mini", "openai", now.AddMinutes(-10)),
        new("v1:team-b:exact:3", "gpt-4o", "azure", now.AddHours(-2)),
        new("v1:team-b:exact:4", "gemini-2.0-flash", "gemini", now),
    ];

    /// <summary>Criteria (model, provider, key prefix, older than in minutes) and the indexes of
    /// <see cref="PurgeEntries"/> they remove.</summary>
    public static TheoryData<string?, string?, string?, int?, int[]> PurgeCases => new()
    {
        { "GPT-4O", null, null, null, [0, 2] },
        { null, "OpenAI", null, null, [0, 1] },
        { null, null, "v1:team-a:", null, [0, 1] },
        { null, null, "v1:team-b:exact:3", null, [2] },
        { null, null, null, 60, [0, 2] },
        { null, null, null, null, [0, 1, 2, 3] },
        { "gpt-4o", "openai", null, null, [0] },
        { null, null, "v1:team-b:", 60, [2] },
        { "gpt-4o", "gemini", null, null, [] },
    };

    internal static CachePurge Purge(string? model, string? provider, string? keyPrefix, int? olderThanMinutes) =>
        new(model, provider, keyPrefix, olderThanMinutes is { } minutes ? TimeSpan.FromMinutes(minutes) : null);

    internal static byte[] Blob(string text) => Encoding.UTF8.GetBytes($$"""{"id":"{{text}}"}""");

    /// <summary>Polls until the condition holds; false when it did not within the deadline.</summary>
    internal static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan deadline)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(20);
        }

        return await condition();
    }

    private MemoryResponseCacheStore CreateSut(long memoryLimitBytes = 64L * 1024 * 1024, int maxEntryBytes = 1024 * 1024)
    {
        var options = new LlmGatewayOptions { Cache = { MemoryLimitBytes = memoryLimitBytes, MaxEntryBytes = maxEntryBytes } };
        var sut = new MemoryResponseCacheStore(new FakeOptionsMonitor(options), _time, NullLogger<MemoryResponseCacheStore>.Instance);
        _disposables.Add(sut);
        return sut;
    }

    private CacheEntryInfo Info(string key) => new(key, "gpt-4o", "openai", _time.GetUtcNow());

    [Fact]
    public async Task GetAsync_AfterSet_ReturnsTheBlobAndTheFullLifetime()
    {
        var sut = CreateSut();
        var blob = Blob("a");

        await sut.SetAsync(Info("v1:k:exact:a"), blob, TimeSpan.FromMinutes(10), default);
        var hit = await sut.GetAsync("v1:k:exact:a", default);

        hit.Should().NotBeNull();
        hit!.Value.Blob.Should().Equal(blob);
        hit.Value.Remaining.Should().Be(TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task GetAsync_MemoryHit_CompletesSynchronouslyWithoutAllocating()
    {
        var sut = CreateSut();
        await sut.SetAsync(Info("v1:k:exact:a"), Blob("a"), TimeSpan.FromMinutes(10), default);
        for (var i = 0; i < 10; i++)
        {
            _ = await sut.GetAsync("v1:k:exact:a", default);
        }

        var hits = 0;
        var synchronous = 0;
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100; i++)
        {
            var lookup = sut.GetAsync("v1:k:exact:a", default);
            synchronous += lookup.IsCompletedSuccessfully ? 1 : 0;
            hits += await lookup is null ? 0 : 1;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        hits.Should().Be(100);
        synchronous.Should().Be(100);
        allocated.Should().Be(0);
    }

    [Fact]
    public async Task GetAsync_UnknownKey_ReturnsNull()
    {
        var sut = CreateSut();
        await sut.SetAsync(Info("v1:k:exact:a"), Blob("a"), TimeSpan.FromMinutes(10), default);

        (await sut.GetAsync("v1:k:exact:b", default)).Should().BeNull();
    }

    [Fact]
    public async Task GetAsync_AsTimePasses_RemainingShrinksAndTheEntryExpiresAtItsTtl()
    {
        var sut = CreateSut();
        await sut.SetAsync(Info("v1:k:exact:a"), Blob("a"), TimeSpan.FromMinutes(10), default);

        _time.Advance(TimeSpan.FromMinutes(4));
        (await sut.GetAsync("v1:k:exact:a", default))!.Value.Remaining.Should().Be(TimeSpan.FromMinutes(6));

        _time.Advance(TimeSpan.FromMinutes(6) - TimeSpan.FromMilliseconds(1));
        (await sut.GetAsync("v1:k:exact:a", default))!.Value.Remaining.Should().Be(TimeSpan.FromMilliseconds(1));

        _time.Advance(TimeSpan.FromMilliseconds(1));
        (await sut.GetAsync("v1:k:exact:a", default)).Should().BeNull();
    }

    [Fact]
    public async Task SetAsync_SameKeyAgain_ReplacesTheEntry()
    {
        var sut = CreateSut();
        await sut.SetAsync(Info("v1:k:exact:a"), Blob("first"), TimeSpan.FromMinutes(10), default);
        _time.Advance(TimeSpan.FromMinutes(5));

        await sut.SetAsync(Info("v1:k:exact:a"), Blob("second"), TimeSpan.FromMinutes(10), default);
        var hit = await sut.GetAsync("v1:k:exact:a", default);

        hit!.Value.Blob.Should().Equal(Blob("second"));
        hit.Value.Remaining.Should().Be(TimeSpan.FromMinutes(10));
        (await sut.PurgeAsync(new CachePurge(), default)).Should().Be(1);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1000)]
    public async Task SetAsync_TtlNotPositive_StoresNothing(int ttlMs)
    {
        var sut = CreateSut();

        await sut.SetAsync(Info("v1:k:exact:a"), Blob("a"), TimeSpan.FromMilliseconds(ttlMs), default);

        (await sut.GetAsync("v1:k:exact:a", default)).Should().BeNull();
        sut.HoldsInMemory("v1:k:exact:a").Should().BeFalse();
    }

    [Fact]
    public async Task SetAsync_LargerThanMaxEntryBytes_NotStored()
    {
        var sut = CreateSut(maxEntryBytes: 1000);

        await sut.SetAsync(Info("v1:k:exact:fits"), new byte[1000], TimeSpan.FromMinutes(10), default);
        await sut.SetAsync(Info("v1:k:exact:too-large"), new byte[1001], TimeSpan.FromMinutes(10), default);

        (await sut.GetAsync("v1:k:exact:fits", default)).Should().NotBeNull();
        (await sut.GetAsync("v1:k:exact:too-large", default)).Should().BeNull();
        sut.HoldsInMemory("v1:k:exact:too-large").Should().BeFalse();
    }

    /// <summary>Three entries fit. A is read after C was written, so B is the least recently used when D comes: B goes,
    /// A (recently read) and C stay, and D is kept (at the latest when written again after the compaction, which runs
    /// in the background).</summary>
    [Fact]
    public async Task SetAsync_PastTheMemoryLimit_EvictsTheLeastRecentlyUsed()
    {
        var keys = new[] { "v1:k:exact:a", "v1:k:exact:b", "v1:k:exact:c", "v1:k:exact:d" };
        var size = MemoryResponseCacheStore.MemorySize(keys[0], new byte[1000]);
        var sut = CreateSut(memoryLimitBytes: (3 * size) + 100);
        foreach (var key in keys[..3])
        {
            await sut.SetAsync(Info(key), new byte[1000], TimeSpan.FromHours(1), default);
            _time.Advance(TimeSpan.FromSeconds(1));
        }

        (await sut.GetAsync(keys[0], default)).Should().NotBeNull();
        _time.Advance(TimeSpan.FromSeconds(1));
        await sut.SetAsync(Info(keys[3]), new byte[1000], TimeSpan.FromHours(1), default);

        (await EventuallyAsync(() => Task.FromResult(!sut.HoldsInMemory(keys[1])), TimeSpan.FromSeconds(5)))
            .Should().BeTrue("B was the least recently used when memory was full");
        await sut.SetAsync(Info(keys[3]), new byte[1000], TimeSpan.FromHours(1), default);
        (await sut.GetAsync(keys[0], default)).Should().NotBeNull("A was read after C was written");
        (await sut.GetAsync(keys[1], default)).Should().BeNull();
        (await sut.GetAsync(keys[2], default)).Should().NotBeNull();
        (await sut.GetAsync(keys[3], default)).Should().NotBeNull();
        (await sut.PurgeAsync(new CachePurge(), default)).Should().Be(3, "the evicted entry left the purge index too");
    }

    [Fact]
    public async Task SetAsync_LargerThanTheWholeMemoryLimit_NotKeptAndEvictsNothing()
    {
        var size = MemoryResponseCacheStore.MemorySize("v1:k:exact:a", new byte[1000]);
        var sut = CreateSut(memoryLimitBytes: size);
        await sut.SetAsync(Info("v1:k:exact:a"), new byte[1000], TimeSpan.FromHours(1), default);

        await sut.SetAsync(Info("v1:k:exact:b"), new byte[1001], TimeSpan.FromHours(1), default);

        sut.HoldsInMemory("v1:k:exact:b").Should().BeFalse();
        (await sut.GetAsync("v1:k:exact:b", default)).Should().BeNull();
        (await sut.GetAsync("v1:k:exact:a", default)).Should().NotBeNull();
    }

    [Theory]
    [MemberData(nameof(PurgeCases))]
    public async Task PurgeAsync_Criteria_RemovesTheEntriesMatchingAllOfThem(string? model, string? provider, string? keyPrefix, int? olderThanMinutes, int[] removed)
    {
        var sut = CreateSut();
        var entries = PurgeEntries(_time.GetUtcNow());
        foreach (var entry in entries)
        {
            await sut.SetAsync(entry, Blob(entry.Key), TimeSpan.FromDays(1), default);
        }

        var count = await sut.PurgeAsync(Purge(model, provider, keyPrefix, olderThanMinutes), default);

        count.Should().Be(removed.Length);
        for (var i = 0; i < entries.Length; i++)
        {
            var hit = await sut.GetAsync(entries[i].Key, default);
            if (removed.Contains(i))
            {
                hit.Should().BeNull($"entry {i} matches");
                sut.HoldsInMemory(entries[i].Key).Should().BeFalse();
            }
            else
            {
                hit.Should().NotBeNull($"entry {i} does not match");
            }
        }
    }

    [Fact]
    public async Task PurgeAsync_ExpiredEntries_NotCounted()
    {
        var sut = CreateSut();
        await sut.SetAsync(Info("v1:k:exact:short"), Blob("a"), TimeSpan.FromMinutes(1), default);
        await sut.SetAsync(Info("v1:k:exact:long"), Blob("b"), TimeSpan.FromHours(1), default);
        _time.Advance(TimeSpan.FromMinutes(2));

        (await sut.PurgeAsync(new CachePurge(), default)).Should().Be(1);
        (await sut.GetAsync("v1:k:exact:long", default)).Should().BeNull();
    }
}
