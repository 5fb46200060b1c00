using System.Net;

namespace ModernMail.Deliverability;

/// <summary>How mail will be sent: the domain, the sending address, the HELO name and the DKIM key; input to the records and the doctor.</summary>
public sealed class DeliverabilitySetup
{
    /// <summary>The domain in the From address (and, unless <see cref="MailFromDomain"/> says otherwise, in MAIL FROM).</summary>
    public required string Domain { get; init; }

    /// <summary>The public IP address the mail leaves from.</summary>
    public required IPAddress Address { get; init; }

    /// <summary>The name the client gives in EHLO; its A/AAAA record and the address's PTR should agree with it.</summary>
    public required string HeloName { get; init; }

    /// <summary>The domain of the MAIL FROM (envelope) address, checked by SPF; null means <see cref="Domain"/>.</summary>
    public string? MailFromDomain { get; init; }

    /// <summary>The DKIM signing domain (d=); null means <see cref="Domain"/>.</summary>
    public string? DkimDomain { get; init; }

    /// <summary>The DKIM selector (s=); null when mail is not signed.</summary>
    public string? DkimSelector { get; init; }

    /// <summary>The TXT value to publish for the DKIM key ("v=DKIM1; k=rsa; p=..."), when known.</summary>
    public string? DkimRecord { get; init; }

    /// <summary>The DKIM private key as PEM (PKCS#1 or PKCS#8 RSA, PKCS#8 Ed25519), to confirm the published key matches it.</summary>
    public string? DkimPrivateKeyPem { get; init; }

    /// <summary>The MAIL FROM domain in effect.</summary>
    public string EffectiveMailFromDomain => (MailFromDomain ?? Domain).TrimEnd('.');

    /// <summary>The DKIM signing domain in effect.</summary>
    public string EffectiveDkimDomain => (DkimDomain ?? Domain).TrimEnd('.');
}
