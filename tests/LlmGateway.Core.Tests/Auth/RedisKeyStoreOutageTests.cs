using LlmGateway.Internal;
using LlmGateway.Redis.Internal;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Core.Tests.Auth;

/// <summary>Redis going away under a running key store (its own server, since the test stops it).</summary>
public sealed class RedisKeyStoreOutageTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task RedisStopped_KnownKeysStillFoundAndWritesRefused()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var connection = RedisKeyStoreTests.Connect(redis, RedisServer.UniquePrefix());
        var sut = new RedisKeyStore(connection, NullLogger<RedisKeyStore>.Instance, time);
        var known = MemoryKeyStoreTests.Key("key_1", "lgw-known");
        await sut.SaveAsync(known, null, default);
        (await sut.FindByHashAsync(known.Hash, default)).Should().NotBeNull();

        redis.Stop();
        try
        {
            // Past the 5 s a record is trusted for: the lookup asks Redis, fails, and answers from the last known record.
            time.Advance(TimeSpan.FromSeconds(10));

            (await sut.FindByHashAsync(known.Hash, default))!.Id.Should().Be("key_1");
            connection.IsDegraded.Should().BeTrue();
            (await sut.FindByHashAsync(KeyHashing.Hash("lgw-never-seen"), default)).Should().BeNull();
            (await sut.FindByHashAsync(known.Hash, default))!.Id.Should().Be("key_1", "the record is kept for as long as Redis is away");
            await sut.Invoking(s => s.SaveAsync(MemoryKeyStoreTests.Key("key_2", "lgw-new"), null, default).AsTask())
                .Should().ThrowAsync<KeyStoreUnavailableException>();
            await sut.Invoking(s => s.ListAsync(default).AsTask()).Should().ThrowAsync<KeyStoreUnavailableException>();
            await sut.Invoking(s => s.GetAsync("key_1", default).AsTask()).Should().ThrowAsync<KeyStoreUnavailableException>();
        }
        finally
        {
            redis.Start();
        }
    }
}
