using LlmGateway.Redis.Internal;
using LlmGateway.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;

namespace LlmGateway.Core.Tests.Auth;

/// <summary>Redis going away under the provider-key protector (its own server, since the test stops it).</summary>
public sealed class ProviderKeyProtectorOutageTests(RedisServer redis) : IClassFixture<RedisServer>
{
    [Fact]
    public async Task RedisStopped_ALoadedKeyRingStillDecryptsAndAnUnreadOneRefuses()
    {
        var prefix = RedisServer.UniquePrefix();
        await using var loadedConnection = RedisKeyStoreTests.Connect(redis, prefix);
        await using var freshConnection = RedisKeyStoreTests.Connect(redis, prefix);
        _ = await freshConnection.GetDatabaseAsync();
        using var loaded = new RedisProviderKeyProtector(loadedConnection, NullLoggerFactory.Instance);
        using var fresh = new RedisProviderKeyProtector(freshConnection, NullLoggerFactory.Instance);
        var protectedKey = loaded.Protect("sk-provider");

        redis.Stop();
        try
        {
            loaded.Unprotect(protectedKey).Should().Be("sk-provider", "the key ring, once read, is kept in memory");
            loaded.Protect("sk-other").Should().NotBeNullOrEmpty();
            fresh.Invoking(p => p.Unprotect(protectedKey)).Should().Throw<KeyStoreUnavailableException>();
            fresh.Invoking(p => p.Protect("sk-other")).Should().Throw<KeyStoreUnavailableException>();
        }
        finally
        {
            redis.Start();
        }
    }
}
