using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Auth;

public sealed class MemoryKeyStoreTests
{
    private readonly MemoryKeyStore _sut = new();

    internal static StoredKey Key(string id, string secret, DateTimeOffset? revokedAt = null) => new()
    {
        Id = id,
        Name = "name-" + id,
        Hash = KeyHashing.Hash(secret),
        Prefix = KeyHashing.DisplayPrefix(secret),
        CreatedAt = DateTimeOffset.UnixEpoch,
        RevokedAt = revokedAt,
        RequestsPerMinute = 7,
    };

    [Fact]
    public async Task FindByHashAsync_SavedKey_FindsIt()
    {
        var key = Key("key_1", "secret-1");
        await _sut.SaveAsync(key, null, default);

        (await _sut.FindByHashAsync(KeyHashing.Hash("secret-1"), default)).Should().BeSameAs(key);
        (await _sut.FindByHashAsync(KeyHashing.Hash("secret-2"), default)).Should().BeNull();
        (await _sut.GetAsync("key_1", default)).Should().BeSameAs(key);
        (await _sut.GetAsync("key_2", default)).Should().BeNull();
    }

    [Fact]
    public async Task SaveAsync_Rotation_OldHashNoLongerFindsTheKey()
    {
        var old = Key("key_1", "old-secret");
        await _sut.SaveAsync(old, null, default);
        var rotated = Key("key_1", "new-secret");

        await _sut.SaveAsync(rotated, old.Hash, default);

        (await _sut.FindByHashAsync(old.Hash, default)).Should().BeNull();
        (await _sut.FindByHashAsync(rotated.Hash, default)).Should().BeSameAs(rotated);
        (await _sut.ListAsync(default)).Should().ContainSingle().Which.Should().BeSameAs(rotated);
    }

    [Fact]
    public async Task SaveAsync_Revocation_ReplacesTheRecord()
    {
        await _sut.SaveAsync(Key("key_1", "secret"), null, default);

        await _sut.SaveAsync(Key("key_1", "secret", revokedAt: DateTimeOffset.UnixEpoch), KeyHashing.Hash("secret"), default);

        (await _sut.FindByHashAsync(KeyHashing.Hash("secret"), default))!.IsRevoked.Should().BeTrue();
    }

    [Fact]
    public async Task ListAsync_SeveralKeys_ListsThemAll()
    {
        await _sut.SaveAsync(Key("key_1", "a"), null, default);
        await _sut.SaveAsync(Key("key_2", "b"), null, default);

        (await _sut.ListAsync(default)).Select(k => k.Id).Should().BeEquivalentTo("key_1", "key_2");
    }
}
