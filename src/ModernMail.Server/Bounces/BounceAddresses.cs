using System.Buffers;
using System.Net.Mail;
using System.Security.Cryptography;
using System.Text;

namespace ModernMail.Server.Bounces;

/// <summary>VERP envelope senders: "bounces+COPYID.MAC@BOUNCE-DOMAIN" for each copy of a message, so a DSN or a feedback report
/// that comes back later names the copy (one recipient) it is about. MAC is 80 bits of HMAC-SHA256 with the server secret over
/// the copy id and its recipient, in lower-case hex (receivers may fold the case of a local part), so the local part stays
/// within the 64 octets RFC 5321 allows: 8 + 32 + 1 + 20 = 61.</summary>
internal sealed class BounceAddresses(byte[] secret, string domain)
{
    private const string Prefix = "bounces+";
    private const int MacHexLength = 20;

    private static readonly SearchValues<char> s_idCharacters = SearchValues.Create("0123456789abcdef");

    /// <summary>The bounce domain (its MX is this server's inbound listener).</summary>
    public string Domain { get; } = domain;

    /// <summary>The envelope sender of copy <paramref name="copyId"/> to <paramref name="recipient"/>.</summary>
    public MailAddress SenderFor(string copyId, string recipient) => new(LocalPart(copyId, recipient) + "@" + Domain);

    /// <summary>The copy id a well-formed VERP address of this domain names; null for anything else (refused without a lookup).</summary>
    public string? CopyIdOf(MailAddress address)
    {
        if (!string.Equals(address.Host.TrimEnd('.'), Domain, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        string local = address.User.ToLowerInvariant();
        if (!local.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        int dot = local.IndexOf('.', Prefix.Length);
        int idLength = dot - Prefix.Length;
        if (idLength is < 1 or > 40 || local.Length - dot - 1 != MacHexLength || local.AsSpan(Prefix.Length, idLength).ContainsAnyExcept(s_idCharacters))
        {
            return null;
        }
        return local.Substring(Prefix.Length, idLength);
    }

    /// <summary>True when <paramref name="address"/> is this server's VERP address for the copy's recipient (constant time).</summary>
    public bool Verify(MailAddress address, string recipient)
    {
        string? id = CopyIdOf(address);
        return id is not null && CryptographicOperations.FixedTimeEquals(
            Encoding.ASCII.GetBytes(LocalPart(id, recipient)), Encoding.ASCII.GetBytes(address.User.ToLowerInvariant()));
    }

    private string LocalPart(string copyId, string recipient)
    {
        byte[] mac = HMACSHA256.HashData(secret, Encoding.UTF8.GetBytes($"bounce/v1\n{copyId}\n{recipient.ToLowerInvariant()}"));
        return Prefix + copyId + "." + Convert.ToHexStringLower(mac, 0, MacHexLength / 2);
    }
}
