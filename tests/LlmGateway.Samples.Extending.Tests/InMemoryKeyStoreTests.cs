using LlmGateway.Samples.Extending.Keys;
using Microsoft.Extensions.Time.Testing;

namespace LlmGateway.Samples.Extending.Tests;

public sealed class InMemoryKeyStoreTests
{
    private readonly FakeTimeProvider _clock = new(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Find_TheCreatedKey_ReturnsItsEntry()
    {
        var sut = new InMemoryKeyStore(_clock);
        var (key, stored) = sut.Create("team", ["assistant"], new Dictionary<string, string> { ["anthropic"] = "upstream-key" });

        var found = sut.Find(key);

        found.Should().Be(stored);
        found!.AllowedModels.Should().Equal("assistant");
        found.ProviderKeys["ANTHROPIC"].Should().Be("upstream-key", "instance names are case-insensitive");
        key.Should().StartWith(InMemoryKeyStore.Prefix);
        stored.Hash.Should().NotContain(key[InMemoryKeyStore.Prefix.Length..]);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("lgw-unknown")]
    public void Find_UnknownKey_ReturnsNull(string? presented)
    {
        var sut = new InMemoryKeyStore(_clock);
        sut.Create("team");

        sut.Find(presented).Should().BeNull();
    }

    [Fact]
    public void Find_RevokedKey_ReturnsNull()
    {
        var sut = new InMemoryKeyStore(_clock);
        var (key, stored) = sut.Create("team");

        sut.Revoke(stored.Id).Should().BeTrue();

        sut.Find(key).Should().BeNull();
        sut.Revoke("no-such-id").Should().BeFalse();
    }

    [Fact]
    public void Find_ExpiredKey_ReturnsNullFromItsExpiry()
    {
        var sut = new InMemoryKeyStore(_clock);
        var (key, _) = sut.Create("team", expiresAt: _clock.GetUtcNow().AddHours(1));

        _clock.Advance(TimeSpan.FromMinutes(59));
        sut.Find(key).Should().NotBeNull();
        _clock.Advance(TimeSpan.FromMinutes(1));
        sut.Find(key).Should().BeNull();
    }

    [Fact]
    public void SaveAndLoad_RoundTripsTheEntries_WithoutTheKeysThemselves()
    {
        var sut = new InMemoryKeyStore(_clock);
        var (key, stored) = sut.Create("team", ["assistant"], new Dictionary<string, string> { ["anthropic"] = "upstream-key" });
        var (revokedKey, revoked) = sut.Create("old");
        sut.Revoke(revoked.Id);

        var json = sut.Save();
        var loaded = new InMemoryKeyStore(_clock);
        loaded.Load(json);

        json.Should().NotContain(key).And.NotContain(revokedKey);
        loaded.Find(key)!.Name.Should().Be(stored.Name);
        loaded.Find(key)!.ProviderKeys["anthropic"].Should().Be("upstream-key");
        loaded.Find(revokedKey).Should().BeNull("revocation survives a save and load");
    }
}
