using LlmGateway.Samples.Extending.Keys;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Samples.Extending.Tests;

/// <summary>The sample's <see cref="IKeyStore"/>: its own semantics, and the gateway authenticating callers with it
/// once it is registered in place of the default store.</summary>
public sealed class InMemoryKeyStoreTests : IDisposable
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));
    private readonly AnthropicUpstream _upstream = new();

    public void Dispose() => _upstream.Dispose();

    [Fact]
    public async Task FindByHash_TheCreatedKey_ReturnsItsRecord()
    {
        var sut = new InMemoryKeyStore(_clock);
        var (key, stored) = sut.Create("team", ["assistant"]);

        var found = await sut.FindByHashAsync(InMemoryKeyStore.Hash(key), default);

        found.Should().BeSameAs(stored);
        found!.AllowedModels.Should().Equal("assistant");
        found.CreatedAt.Should().Be(_clock.GetUtcNow());
        key.Should().StartWith(InMemoryKeyStore.KeyPrefix);
        (await sut.FindByHashAsync(InMemoryKeyStore.Hash(key + "x"), default)).Should().BeNull();
    }

    [Fact]
    public async Task Save_WithAPreviousHash_RetiresTheOldHash()
    {
        var sut = new InMemoryKeyStore(_clock);
        var (oldKey, stored) = sut.Create("team");
        var rotated = new StoredKey { Id = stored.Id, Name = stored.Name, Hash = InMemoryKeyStore.Hash("lgw-rotated"), CreatedAt = stored.CreatedAt };

        await sut.SaveAsync(rotated, stored.Hash, default);

        (await sut.FindByHashAsync(InMemoryKeyStore.Hash(oldKey), default)).Should().BeNull("a rotation retires the old hash");
        (await sut.FindByHashAsync(rotated.Hash, default)).Should().BeSameAs(rotated);
        (await sut.ListAsync(default)).Should().ContainSingle().Which.Should().BeSameAs(rotated);
    }

    [Fact]
    public async Task Revoke_KeepsTheRecordFindableButRevoked()
    {
        var sut = new InMemoryKeyStore(_clock);
        var (key, stored) = sut.Create("team");
        _clock.Advance(TimeSpan.FromMinutes(5));

        sut.Revoke(stored.Id).Should().BeTrue();
        sut.Revoke("key_unknown").Should().BeFalse();

        var found = await sut.FindByHashAsync(InMemoryKeyStore.Hash(key), default);
        found!.IsRevoked.Should().BeTrue("the gateway, not the store, refuses a revoked key");
        found.RevokedAt.Should().Be(_clock.GetUtcNow());
    }

    [Fact]
    public async Task ToJsonAndLoad_RoundTripTheRecords_WithoutTheKeysThemselves()
    {
        var sut = new InMemoryKeyStore(_clock);
        var (first, _) = sut.Create("first", ["assistant"]);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var (second, _) = sut.Create("second", expiresAt: _clock.GetUtcNow().AddDays(1));

        var json = sut.ToJson();
        var loaded = new InMemoryKeyStore(_clock);
        loaded.Load(json);

        json.Should().NotContain(first).And.NotContain(second);
        (await loaded.ListAsync(default)).Select(k => k.Name).Should().Equal("first", "second");
        (await loaded.FindByHashAsync(InMemoryKeyStore.Hash(first), default))!.AllowedModels.Should().Equal("assistant");
        (await loaded.FindByHashAsync(InMemoryKeyStore.Hash(second), default))!.ExpiresAt.Should().Be(_clock.GetUtcNow().AddDays(1));
    }

    [Fact]
    public async Task Registered_AKeyOnlyThisStoreKnows_AuthenticatesACallThatReachesAnthropic()
    {
        var keys = new InMemoryKeyStore(_clock);
        var (key, stored) = keys.Create("docs-team", ["assistant"]);
        _upstream.Settings["LlmGateway:Auth:Mode"] = "Gateway";
        _upstream.ConfigureGateway = gateway => gateway.Services.AddSingleton<IKeyStore>(keys);
        _upstream.PostReturnsFile("message-text.json");
        var authenticator = _upstream.Services.GetRequiredService<GatewayAuthenticator>();

        var known = await authenticator.AuthenticateAsync(key, providerKey: null, isLoopback: false);
        var unknown = await authenticator.AuthenticateAsync(key + "-other", providerKey: null, isLoopback: false);

        known.Succeeded.Should().BeTrue(known.Error?.Message);
        known.Caller!.Id.Should().Be(stored.Id);
        unknown.Succeeded.Should().BeFalse();
        unknown.Error!.StatusCode.Should().Be(401);

        using var chat = _upstream.Gateway.GetChatClient("assistant", known.Caller);
        var response = await chat.GetResponseAsync("Hello");
        response.Text.Should().Be("Hello! How can I help you today?");
        _upstream.SingleRequest();
    }

    [Fact]
    public async Task Registered_ARevokedKey_IsRefused()
    {
        var keys = new InMemoryKeyStore(_clock);
        var (key, stored) = keys.Create("docs-team");
        keys.Revoke(stored.Id);
        _upstream.Settings["LlmGateway:Auth:Mode"] = "Gateway";
        _upstream.ConfigureGateway = gateway => gateway.Services.AddSingleton<IKeyStore>(keys);
        var authenticator = _upstream.Services.GetRequiredService<GatewayAuthenticator>();

        var result = await authenticator.AuthenticateAsync(key, providerKey: null, isLoopback: false);

        result.Succeeded.Should().BeFalse();
        result.Error!.StatusCode.Should().Be(401);
    }
}
