using System.Diagnostics;
using LlmGateway.Internal;
using LlmGateway.Redis.Internal;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmGateway.Core.Tests.Auth;

/// <summary>Two gateway instances (two connections, two stores) sharing one real Redis.</summary>
public sealed class RedisKeyStoreTests(RedisServer redis) : IClassFixture<RedisServer>, IAsyncLifetime
{
    private readonly string _prefix = RedisServer.UniquePrefix();
    private readonly List<RedisConnection> _connections = [];

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var connection in _connections)
        {
            await connection.DisposeAsync();
        }
    }

    private RedisKeyStore CreateInstance()
    {
        var connection = Connect(redis, _prefix);
        _connections.Add(connection);
        return new RedisKeyStore(connection, NullLogger<RedisKeyStore>.Instance);
    }

    internal static RedisConnection Connect(RedisServer redis, string prefix) => new(
        Options.Create(new LlmGatewayOptions { Redis = redis.ConnectionString, RedisKeyPrefix = prefix }),
        NullLogger<RedisConnection>.Instance);

    /// <summary>Polls until the condition holds; false when it did not within the deadline.</summary>
    private static async Task<bool> EventuallyAsync(Func<Task<bool>> condition, TimeSpan deadline)
    {
        var stopwatch = Stopwatch.StartNew();
        while (stopwatch.Elapsed < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Yield();
        }

        return await condition();
    }

    [Fact]
    public async Task SaveAsync_OnOneInstance_FoundByAnother()
    {
        var first = CreateInstance();
        var second = CreateInstance();
        var key = MemoryKeyStoreTests.Key("key_1", "lgw-shared");

        await first.SaveAsync(key, null, default);

        var found = await second.FindByHashAsync(key.Hash, default);
        found.Should().NotBeNull();
        found!.Id.Should().Be("key_1");
        found.Name.Should().Be("name-key_1");
        found.RequestsPerMinute.Should().Be(7);
        (await second.GetAsync("key_1", default))!.Hash.Should().Be(key.Hash);
        (await second.ListAsync(default)).Select(k => k.Id).Should().Equal("key_1");
        (await second.FindByHashAsync(KeyHashing.Hash("lgw-other"), default)).Should().BeNull();
    }

    [Fact]
    public async Task SaveAsync_Revocation_IsSeenByAnotherInstanceAtOnce()
    {
        var first = CreateInstance();
        var second = CreateInstance();
        var key = MemoryKeyStoreTests.Key("key_1", "lgw-revoked");
        await first.SaveAsync(key, null, default);
        (await second.FindByHashAsync(key.Hash, default))!.IsRevoked.Should().BeFalse("the second instance now caches the record");

        await first.SaveAsync(MemoryKeyStoreTests.Key("key_1", "lgw-revoked", revokedAt: DateTimeOffset.UnixEpoch), key.Hash, default);

        // The cached record would live 5 s: only the change message can make the second instance see it within 2 s.
        (await EventuallyAsync(async () => (await second.FindByHashAsync(key.Hash, default))?.IsRevoked == true, TimeSpan.FromSeconds(2)))
            .Should().BeTrue();
    }

    [Fact]
    public async Task SaveAsync_Rotation_OldSecretStopsWorkingOnEveryInstance()
    {
        var first = CreateInstance();
        var second = CreateInstance();
        var old = MemoryKeyStoreTests.Key("key_1", "lgw-old");
        await first.SaveAsync(old, null, default);
        (await first.FindByHashAsync(old.Hash, default)).Should().NotBeNull();
        (await second.FindByHashAsync(old.Hash, default)).Should().NotBeNull();
        var rotated = MemoryKeyStoreTests.Key("key_1", "lgw-new");

        await first.SaveAsync(rotated, old.Hash, default);

        (await first.FindByHashAsync(old.Hash, default)).Should().BeNull();
        (await first.FindByHashAsync(rotated.Hash, default))!.Id.Should().Be("key_1");
        (await EventuallyAsync(async () => await second.FindByHashAsync(old.Hash, default) is null, TimeSpan.FromSeconds(2)))
            .Should().BeTrue();
        (await second.FindByHashAsync(rotated.Hash, default))!.Id.Should().Be("key_1");
        (await second.ListAsync(default)).Should().ContainSingle().Which.Hash.Should().Be(rotated.Hash);
    }

    [Fact]
    public async Task GetAsync_UnknownId_ReturnsNull() =>
        (await CreateInstance().GetAsync("key_missing", default)).Should().BeNull();
}
