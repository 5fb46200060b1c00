using System.Security.Cryptography;
using System.Text;

namespace ModernMail.Server.Unsubscribe;

/// <summary>The token of a one-click unsubscribe link: "MESSAGE-ID.MAC", where MAC is a truncated HMAC-SHA256 with the server secret
/// over the message id, the recipient and the sender domain. Only the server can make one; changing any character breaks it.</summary>
internal sealed class UnsubscribeTokens(byte[] secret)
{
    private const int MacBytes = 20; // 160 bits: far past guessing, and a short enough URL.

    public string Create(string messageId, string recipient, string senderDomain) =>
        messageId + "." + Base64Url(Mac(messageId, recipient, senderDomain));

    /// <summary>The message id a well-formed token names; null for anything else (then the token is refused without a lookup).</summary>
    public static string? MessageIdOf(string token)
    {
        int dot = token.IndexOf('.', StringComparison.Ordinal);
        if (dot is < 1 or > 64 || token.Length - dot - 1 != 27 || token.AsSpan(0, dot).ContainsAnyExcept(s_idCharacters))
        {
            return null;
        }
        return token[..dot];
    }

    /// <summary>True when <paramref name="token"/> is this server's token for the recipient and sender domain (compared in constant time).</summary>
    public bool Verify(string token, string recipient, string senderDomain)
    {
        string? id = MessageIdOf(token);
        if (id is null)
        {
            return false;
        }
        byte[] expected = Encoding.ASCII.GetBytes(Base64Url(Mac(id, recipient, senderDomain)));
        return CryptographicOperations.FixedTimeEquals(expected, Encoding.ASCII.GetBytes(token[(id.Length + 1)..]));
    }

    private static readonly System.Buffers.SearchValues<char> s_idCharacters =
        System.Buffers.SearchValues.Create("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_");

    private byte[] Mac(string messageId, string recipient, string senderDomain)
    {
        byte[] data = Encoding.UTF8.GetBytes($"unsubscribe/v1\n{messageId}\n{recipient.ToLowerInvariant()}\n{senderDomain.TrimEnd('.').ToLowerInvariant()}");
        return HMACSHA256.HashData(secret, data)[..MacBytes];
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
