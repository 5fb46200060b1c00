using System.Buffers.Text;
using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text;

namespace ModernMail.Server.Keys;

/// <summary>The format of API key secrets: "mm_" followed by 32 random bytes in base64url (43 characters).</summary>
/// <remarks>
/// The first <see cref="IdLength"/> characters after the prefix double as the public lookup id, so a key is found by an
/// index lookup and then checked against its hash in constant time; the other 35 characters (208 bits) stay secret.
/// Only SHA-256 of the secret is stored. A password would need a slow KDF (Argon2, PBKDF2) because people pick guessable
/// ones; a 256-bit random secret cannot be guessed or brute-forced from its hash, so one fast hash is enough and keeps
/// every request cheap.
/// </remarks>
internal static class ApiKeySecret
{
    public const string Prefix = "mm_";

    public const int IdLength = 8;

    private const int SecretBytes = 32;

    private static readonly int s_encodedLength = Base64Url.GetEncodedLength(SecretBytes);

    /// <summary>Creates a new random secret.</summary>
    public static string Generate()
    {
        Span<byte> random = stackalloc byte[SecretBytes];
        RandomNumberGenerator.Fill(random);
        return Prefix + Base64Url.EncodeToString(random);
    }

    /// <summary>Whether <paramref name="secret"/> has the shape of a key; if so, its lookup id.</summary>
    public static bool TryGetId(string secret, [NotNullWhen(true)] out string? id)
    {
        id = null;
        if (secret.Length != Prefix.Length + s_encodedLength || !secret.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }
        foreach (char c in secret.AsSpan(Prefix.Length))
        {
            if (!char.IsAsciiLetterOrDigit(c) && c is not '-' and not '_')
            {
                return false;
            }
        }
        id = secret.Substring(Prefix.Length, IdLength);
        return true;
    }

    /// <summary>SHA-256 of the secret's UTF-8 bytes.</summary>
    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>Compares a presented secret with a stored hash in time that does not depend on where they differ.</summary>
    public static bool Matches(string secret, byte[] storedHash) => CryptographicOperations.FixedTimeEquals(Hash(secret), storedHash);
}
