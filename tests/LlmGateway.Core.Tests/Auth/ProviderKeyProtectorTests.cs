using LlmGateway.Redis.Internal;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmGateway.Core.Tests.Auth;

public sealed class ProviderKeyProtectorTests(RedisServer redis) : IClassFixture<RedisServer>
{
    private const string ProviderKey = "sk-provider-secret";

    /// <summary>A connection whose first connect may take long on a loaded machine: Data Protection reads the key ring
    /// synchronously on first use, and a connect cut short by the default 2 s timeout would fail the test, not the code.</summary>
    private static RedisConnection Connect(RedisServer redis, string prefix) => new(
        Options.Create(new LlmGatewayOptions { Redis = redis.ConnectionString + ",connectTimeout=20000", RedisKeyPrefix = prefix }),
        NullLogger<RedisConnection>.Instance);

    private static RedisConnection NoRedis() => new(Options.Create(new LlmGatewayOptions()), NullLogger<RedisConnection>.Instance);

    [Fact]
    public async Task Unprotect_WithoutRedis_GivesBackWhatWasProtected()
    {
        await using var connection = NoRedis();
        using var sut = new RedisProviderKeyProtector(connection, NullLoggerFactory.Instance);

        var protectedKey = sut.Protect(ProviderKey);

        protectedKey.Should().NotContain(ProviderKey);
        sut.Unprotect(protectedKey).Should().Be(ProviderKey);
    }

    [Fact]
    public async Task Unprotect_AnotherKeyRingsCiphertext_ReturnsNull()
    {
        await using var connection = NoRedis();
        using var first = new RedisProviderKeyProtector(connection, NullLoggerFactory.Instance);
        using var second = new RedisProviderKeyProtector(connection, NullLoggerFactory.Instance);

        second.Unprotect(first.Protect(ProviderKey)).Should().BeNull();
    }

    [Fact]
    public async Task Unprotect_NotACiphertext_ReturnsNull()
    {
        await using var connection = NoRedis();
        using var sut = new RedisProviderKeyProtector(connection, NullLoggerFactory.Instance);

        sut.Unprotect("CfDJ8-garbage").Should().BeNull();
        sut.Unprotect(string.Empty).Should().BeNull();
    }

    [Fact]
    public async Task Unprotect_TwoInstancesSharingRedis_ReadEachOthersCiphertext()
    {
        var prefix = RedisServer.UniquePrefix();
        await using var firstConnection = Connect(redis, prefix);
        await using var secondConnection = Connect(redis, prefix);
        using var first = new RedisProviderKeyProtector(firstConnection, NullLoggerFactory.Instance);
        using var second = new RedisProviderKeyProtector(secondConnection, NullLoggerFactory.Instance);

        var fromFirst = first.Protect(ProviderKey);
        second.Unprotect(fromFirst).Should().Be(ProviderKey);
        first.Unprotect(second.Protect("sk-other")).Should().Be("sk-other");

        var database = await firstConnection.GetDatabaseAsync();
        (await database.ListLengthAsync(prefix + "dataprotection-keys")).Should().Be(1, "the key ring lives in Redis, under the prefix");
    }

    [Fact]
    public async Task Unprotect_OtherPrefixOnTheSameRedis_ReturnsNull()
    {
        await using var firstConnection = Connect(redis, RedisServer.UniquePrefix());
        await using var secondConnection = Connect(redis, RedisServer.UniquePrefix());
        using var first = new RedisProviderKeyProtector(firstConnection, NullLoggerFactory.Instance);
        using var second = new RedisProviderKeyProtector(secondConnection, NullLoggerFactory.Instance);

        second.Unprotect(first.Protect(ProviderKey)).Should().BeNull();
    }
}
