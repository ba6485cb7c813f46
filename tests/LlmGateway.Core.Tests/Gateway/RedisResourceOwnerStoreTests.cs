using LlmGateway.Core.Tests.Auth;
using LlmGateway.Internal;
using LlmGateway.Redis.Internal;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Core.Tests.Gateway;

/// <summary>The Redis ownership store against a real redis-server (its own, since one test stops it).</summary>
public sealed class RedisResourceOwnerStoreTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncDisposable
{
    private readonly string _prefix = RedisServer.UniquePrefix();
    private readonly List<RedisConnection> _connections = [];

    public async ValueTask DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    private RedisResourceOwnerStore CreateSut(TimeProvider? time = null)
    {
        var connection = RedisKeyStoreTests.Connect(redis, _prefix);
        _connections.Add(connection);
        return new RedisResourceOwnerStore(connection, new MemoryResourceOwnerStore(time ?? TimeProvider.System), NullLogger<RedisResourceOwnerStore>.Instance);
    }

    [Fact]
    public async Task FindAsync_RecordWrittenByAnotherInstance_IsFound()
    {
        redis.Start();
        var one = CreateSut();
        var other = CreateSut();

        await one.AddAsync(OwnedResourceKind.Response, "resp_1", new ResourceRecord("key_a", "second"));

        (await other.FindAsync(OwnedResourceKind.Response, "resp_1", default)).Should().Be(new ResourceRecord("key_a", "second"));
        (await other.FindAsync(OwnedResourceKind.GeminiCache, "resp_1", default)).Should().BeNull();
        (await other.FindAsync(OwnedResourceKind.Response, "resp_2", default)).Should().BeNull();
    }

    [Fact]
    public async Task AddAsync_IdRecordedByAnotherInstance_KeepsTheFirstOwnerEverywhere()
    {
        redis.Start();
        var one = CreateSut();
        var other = CreateSut();

        await one.AddAsync(OwnedResourceKind.Response, "resp_1", new ResourceRecord("key_a", "openai"));
        await other.AddAsync(OwnedResourceKind.Response, "resp_1", new ResourceRecord("key_b", "openai"));

        (await CreateSut().FindAsync(OwnedResourceKind.Response, "resp_1", default))!.Owner.Should().Be("key_a");
    }

    [Fact]
    public async Task AddAsync_WritesOneKeyWithTheRecordsLifetime()
    {
        redis.Start();
        var connection = RedisKeyStoreTests.Connect(redis, _prefix);
        _connections.Add(connection);
        var sut = new RedisResourceOwnerStore(connection, new MemoryResourceOwnerStore(TimeProvider.System), NullLogger<RedisResourceOwnerStore>.Instance);

        await sut.AddAsync(OwnedResourceKind.GeminiCache, "cachedContents/abc", new ResourceRecord("key_a", "gemini"));

        var database = await connection.GetDatabaseAsync();
        var ttl = await database.KeyTimeToLiveAsync(_prefix + "owners:gemini-cache:cachedContents/abc");
        ttl.Should().BeCloseTo(MemoryResourceOwnerStore.Lifetime, TimeSpan.FromMinutes(1));
    }

    [Fact]
    public async Task RedisStopped_KnownRecordsAnsweredUnknownIdsThrowAndNewRecordsReachRedisWhenItIsBack()
    {
        redis.Start();
        var sut = CreateSut(new FakeTimeProvider(DateTimeOffset.UtcNow));
        await sut.AddAsync(OwnedResourceKind.Response, "resp_known", new ResourceRecord("key_a", "openai"));

        redis.Stop();
        try
        {
            (await sut.FindAsync(OwnedResourceKind.Response, "resp_known", default))!.Owner.Should().Be("key_a");
            await sut.Invoking(s => s.FindAsync(OwnedResourceKind.Response, "resp_elsewhere", default).AsTask())
                .Should().ThrowAsync<ResourceOwnerStoreUnavailableException>("an owner that cannot be told is neither refused as unknown nor served");
            await sut.AddAsync(OwnedResourceKind.Response, "resp_during", new ResourceRecord("key_b", "openai"));
            (await sut.FindAsync(OwnedResourceKind.Response, "resp_during", default))!.Owner.Should().Be("key_b", "this instance knows what it recorded");
            sut.PendingCount.Should().Be(1);
        }
        finally
        {
            redis.Start();
        }

        // Once Redis answers again, what was recorded meanwhile is written (the connection's restore event does the
        // same in the background).
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (sut.PendingCount > 0 && DateTime.UtcNow < deadline)
        {
            await sut.FlushPendingAsync();
            if (sut.PendingCount > 0)
            {
                await Task.Delay(100);
            }
        }

        sut.PendingCount.Should().Be(0);
        (await CreateSut().FindAsync(OwnedResourceKind.Response, "resp_during", default))!.Owner.Should().Be("key_b");
    }
}
