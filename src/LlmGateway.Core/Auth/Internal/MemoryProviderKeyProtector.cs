using System.Security.Cryptography;
using Microsoft.Extensions.Logging;

namespace LlmGateway.Internal;

/// <summary>
/// The default <see cref="IProviderKeyProtector"/>: AES-256-GCM under a random key made on first use and held only in
/// this process's memory, like the in-memory key store whose records it encrypts (neither outlives the process). Keeps
/// provider keys out of the stored records in clear without loading ASP.NET Core Data Protection.
/// </summary>
/// <remarks>Format: <c>m1:</c> then base64 of nonce (12 bytes), tag (16 bytes) and cipher text (UTF-8).</remarks>
internal sealed class MemoryProviderKeyProtector(ILogger<MemoryProviderKeyProtector> logger) : IProviderKeyProtector
{
    private const string Marker = "m1:";
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly Lazy<byte[]> _key = new(static () => RandomNumberGenerator.GetBytes(32));

    public string Protect(string providerKey)
    {
        ArgumentNullException.ThrowIfNull(providerKey);
        var plain = System.Text.Encoding.UTF8.GetBytes(providerKey);
        var output = new byte[NonceSize + TagSize + plain.Length];
        var nonce = output.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_key.Value, TagSize);
        aes.Encrypt(nonce, plain, output.AsSpan(NonceSize + TagSize), output.AsSpan(NonceSize, TagSize));
        return Marker + Convert.ToBase64String(output);
    }

    public string? Unprotect(string protectedKey)
    {
        ArgumentNullException.ThrowIfNull(protectedKey);
        try
        {
            if (!protectedKey.StartsWith(Marker, StringComparison.Ordinal))
            {
                throw new CryptographicException("Not protected by this process.");
            }

            var input = Convert.FromBase64String(protectedKey[Marker.Length..]);
            if (input.Length < NonceSize + TagSize)
            {
                throw new CryptographicException("Too short.");
            }

            var plain = new byte[input.Length - NonceSize - TagSize];
            using var aes = new AesGcm(_key.Value, TagSize);
            aes.Decrypt(input.AsSpan(0, NonceSize), input.AsSpan(NonceSize + TagSize), input.AsSpan(NonceSize, TagSize), plain);
            return System.Text.Encoding.UTF8.GetString(plain);
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            logger.ProviderKeyUndecryptable();
            return null;
        }
    }
}
