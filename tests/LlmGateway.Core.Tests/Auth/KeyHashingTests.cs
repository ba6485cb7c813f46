using LlmGateway.Internal;

namespace LlmGateway.Core.Tests.Auth;

public sealed class KeyHashingTests
{
    // SHA-256("abc"), FIPS 180-2 appendix B.1.
    private const string AbcHash = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    [Fact]
    public void Hash_KnownVector_IsLowerCaseHexSha256() => KeyHashing.Hash("abc").Should().Be(AbcHash);

    [Fact]
    public void Hash_NonAsciiKey_HashesItsUtf8Bytes() =>
        KeyHashing.Hash("é").Should().Be(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("é"u8)));

    [Fact]
    public void NewKey_Always_IsPrefixAnd43Base64UrlCharactersAndUnique()
    {
        var keys = Enumerable.Range(0, 50).Select(_ => KeyHashing.NewKey()).ToList();

        keys.Should().AllSatisfy(k => k.Should().MatchRegex("^lgw-[A-Za-z0-9_-]{43}$"));
        keys.Should().OnlyHaveUniqueItems();
    }

    [Fact]
    public void NewId_Always_IsKeyUnderscoreAnd16HexCharacters()
    {
        var ids = Enumerable.Range(0, 50).Select(_ => KeyHashing.NewId()).ToList();

        ids.Should().AllSatisfy(id => id.Should().MatchRegex("^key_[0-9a-f]{16}$"));
        ids.Should().OnlyHaveUniqueItems();
    }

    [Theory]
    [InlineData("lgw-abcdefghij", "lgw-abcd")]
    [InlineData("short", "short")]
    public void DisplayPrefix_Key_IsItsFirstEightCharacters(string key, string expected) =>
        KeyHashing.DisplayPrefix(key).Should().Be(expected);

    [Fact]
    public void TryNormalizeHash_UpperCaseHash_GivesLowerCase()
    {
        KeyHashing.TryNormalizeHash(AbcHash.ToUpperInvariant(), out var lower).Should().BeTrue();

        lower.Should().Be(AbcHash);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("ba7816bf")]
    [InlineData("za7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad00")]
    public void TryNormalizeHash_NotASha256Hash_IsFalse(string? value) =>
        KeyHashing.TryNormalizeHash(value, out _).Should().BeFalse();

    [Fact]
    public void HashEquals_SameHashInEitherCase_IsTrue()
    {
        KeyHashing.HashEquals(AbcHash, AbcHash).Should().BeTrue();
        KeyHashing.HashEquals(AbcHash, AbcHash.ToUpperInvariant()).Should().BeTrue();
    }

    [Theory]
    [InlineData("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ae")]
    [InlineData("ca7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData("ba7816bf")]
    [InlineData("xx7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")]
    [InlineData(null)]
    public void HashEquals_OtherOrInvalidHash_IsFalse(string? other)
    {
        KeyHashing.HashEquals(AbcHash, other).Should().BeFalse();
        KeyHashing.HashEquals(other, AbcHash).Should().BeFalse();
    }
}
