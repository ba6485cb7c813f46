using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace LlmGateway.Internal;

/// <summary>
/// Makes gateway keys and their hashes. Only the SHA-256 of a key is ever kept: keys are 256 random bits, so a plain
/// hash (no salt, no stretching) is enough to make a leaked store useless, and it lets a key be found by its hash.
/// </summary>
internal static class KeyHashing
{
    /// <summary>What every generated key starts with, so a leaked key is recognisable (secret scanners, logs).</summary>
    public const string KeyPrefix = "lgw-";

    private const int HashBytes = 32;

    /// <summary>A new key: <c>lgw-</c> and 43 base64url characters (32 random bytes).</summary>
    public static string NewKey()
    {
        Span<byte> secret = stackalloc byte[32];
        RandomNumberGenerator.Fill(secret);
        var key = KeyPrefix + Base64Url.EncodeToString(secret);
        CryptographicOperations.ZeroMemory(secret);
        return key;
    }

    /// <summary>SHA-256 of the key's UTF-8 bytes, lower-case hex.</summary>
    public static string Hash(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        Span<byte> hash = stackalloc byte[HashBytes];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return Convert.ToHexStringLower(hash);
    }

    /// <summary>A new key id: <c>key_</c> and 16 random hex characters.</summary>
    public static string NewId()
    {
        Span<byte> id = stackalloc byte[8];
        RandomNumberGenerator.Fill(id);
        return "key_" + Convert.ToHexStringLower(id);
    }

    /// <summary>The first 8 characters of a key, shown in listings to tell keys apart (<c>lgw-3fA9</c>).</summary>
    public static string DisplayPrefix(string key) => key.Length <= 8 ? key : key[..8];

    /// <summary>Whether <paramref name="hex"/> is a SHA-256 hash (64 hex characters, either case); gives it in lower case.</summary>
    public static bool TryNormalizeHash(string? hex, out string lower)
    {
        lower = string.Empty;
        var value = hex?.Trim();
        if (value is null || value.Length != HashBytes * 2)
        {
            return false;
        }

        foreach (var c in value)
        {
            if (!char.IsAsciiHexDigit(c))
            {
                return false;
            }
        }

        lower = value.ToLowerInvariant();
        return true;
    }

    /// <summary>
    /// Whether two hex hashes are the same, in time that does not depend on where they differ (the bytes are compared
    /// with <see cref="CryptographicOperations.FixedTimeEquals"/>). False when either is not a SHA-256 hash.
    /// </summary>
    public static bool HashEquals(string? left, string? right)
    {
        if (left is null || right is null || left.Length != HashBytes * 2 || right.Length != HashBytes * 2)
        {
            return false;
        }

        Span<byte> a = stackalloc byte[HashBytes];
        Span<byte> b = stackalloc byte[HashBytes];
        var leftValid = Convert.FromHexString(left, a, out _, out var leftWritten) == System.Buffers.OperationStatus.Done && leftWritten == HashBytes;
        var rightValid = Convert.FromHexString(right, b, out _, out var rightWritten) == System.Buffers.OperationStatus.Done && rightWritten == HashBytes;
        return CryptographicOperations.FixedTimeEquals(a, b) & leftValid & rightValid;
    }
}
