using LlmGateway.Core.Tests.Fakes;
using LlmGateway.Internal;
using LlmGateway.Redis.Internal;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace LlmGateway.Core.Tests;

/// <summary>Which stores the gateway uses, as DI resolves them: the in-memory defaults, the app's own, or Redis's
/// when <c>AddRedis()</c> was called and <c>LlmGateway:Redis</c> is set.</summary>
public sealed class StoreRegistrationTests
{
    private static ServiceProvider Build(Action<LlmGatewayOptions>? configure, Action<ILlmGatewayBuilder>? gateway = null, Action<IServiceCollection>? before = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IEnvironmentVariables>(new FakeEnvironmentVariables());
        before?.Invoke(services);
        var builder = services.AddLlmGateway(configure);
        gateway?.Invoke(builder);
        return services.BuildServiceProvider();
    }

    [Fact]
    public void AddLlmGateway_RedisSetWithoutAddRedis_FailsNamingTheFix()
    {
        using var services = Build(o => o.Redis = "127.0.0.1:1");

        var act = () => services.GetRequiredService<IOptions<LlmGatewayOptions>>().Value;

        act.Should().Throw<OptionsValidationException>().Which.Message.Should().Contain("LlmGateway:Redis").And.Contain(".AddRedis()");
    }

    [Fact]
    public void AddRedis_RedisSet_ResolvesTheRedisStores()
    {
        using var services = Build(o => o.Redis = "127.0.0.1:1,connectTimeout=100", g => g.AddRedis());

        services.GetRequiredService<IOptions<LlmGatewayOptions>>().Value.Redis.Should().NotBeNull("the options validate");
        services.GetRequiredService<IKeyStore>().Should().BeOfType<RedisKeyStore>();
        services.GetRequiredService<IUsageStore>().Should().BeOfType<RedisUsageStore>();
        services.GetRequiredService<IRateLimitStore>().Should().BeOfType<RedisRateLimitStore>();
        services.GetRequiredService<IResponseCacheStore>().Should().BeOfType<TwoLevelCacheStore>();
        services.GetRequiredService<IResourceOwnerStore>().Should().BeOfType<RedisResourceOwnerStore>();
        services.GetRequiredService<IProviderKeyProtector>().Should().BeOfType<RedisProviderKeyProtector>();
    }

    [Fact]
    public void AddRedis_WithAConnectionString_SetsTheOption()
    {
        using var services = Build(null, g => g.AddRedis("127.0.0.1:1,connectTimeout=100"));

        services.GetRequiredService<IOptions<LlmGatewayOptions>>().Value.Redis.Should().Be("127.0.0.1:1,connectTimeout=100");
        services.GetRequiredService<IKeyStore>().Should().BeOfType<RedisKeyStore>();
    }

    [Fact]
    public void AddRedis_RedisNotSet_KeepsTheMemoryStores()
    {
        using var services = Build(null, g => g.AddRedis());

        services.GetRequiredService<IKeyStore>().Should().BeOfType<MemoryKeyStore>();
        services.GetRequiredService<IUsageStore>().Should().BeOfType<MemoryUsageStore>();
        services.GetRequiredService<IRateLimitStore>().Should().BeOfType<MemoryRateLimitStore>();
        services.GetRequiredService<IResponseCacheStore>().Should().BeOfType<MemoryResponseCacheStore>();
        services.GetRequiredService<IProviderKeyProtector>().Should().BeOfType<MemoryProviderKeyProtector>();
    }

    [Fact]
    public void AddLlmGateway_StoresRegisteredBefore_AreKept()
    {
        var keys = new MemoryKeyStore();
        using var services = Build(null, before: s => s.AddSingleton<IKeyStore>(keys));

        services.GetRequiredService<IKeyStore>().Should().BeSameAs(keys);
    }

    [Fact]
    public void MemoryProviderKeyProtector_ProtectedKey_IsNotInClearAndComesBack()
    {
        var sut = new MemoryProviderKeyProtector(NullLogger<MemoryProviderKeyProtector>.Instance);
        var providerKey = "provider-" + Guid.NewGuid().ToString("N");

        var protectedKey = sut.Protect(providerKey);

        protectedKey.Should().NotContain(providerKey);
        sut.Protect(providerKey).Should().NotBe(protectedKey, "every encryption has its own nonce");
        sut.Unprotect(protectedKey).Should().Be(providerKey);
    }

    [Fact]
    public void MemoryProviderKeyProtector_AnotherProcessesOrTamperedCiphertext_ReturnsNull()
    {
        var first = new MemoryProviderKeyProtector(NullLogger<MemoryProviderKeyProtector>.Instance);
        var second = new MemoryProviderKeyProtector(NullLogger<MemoryProviderKeyProtector>.Instance);
        var protectedKey = first.Protect("provider-key");

        second.Unprotect(protectedKey).Should().BeNull("another key made it");
        first.Unprotect(protectedKey[..^4] + (protectedKey[^4] == 'A' ? "BBBB" : "AAAA")).Should().BeNull();
        first.Unprotect("not protected").Should().BeNull();
    }
}
