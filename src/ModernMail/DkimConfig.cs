using System;
using System.Collections.Generic;
using System.Security.Cryptography;
using ModernMail.Dkim;

namespace ModernMail;

/// <summary>One DKIM signing identity: the signing domain (d=), the selector (s=) and the private key.</summary>
public class DkimConfig
{
    /// <summary>The signing domain (d=); the public key is published at selector._domainkey.domain.</summary>
    public string Domain { get; set; } = "";

    /// <summary>The selector (s=) naming the key under the domain.</summary>
    public string Selector { get; set; } = "";

    /// <summary>The RSA private key (the seed's API); ignored when an Ed25519 key is set.</summary>
    public RSAParameters PrivateKey { get; set; }

    /// <summary>An Ed25519 private key (the 32-byte RFC 8032 seed); when set, signatures use ed25519-sha256 (RFC 8463).</summary>
    public byte[]? Ed25519PrivateKey { get; set; }

    /// <summary>Which kind of key this configuration signs with.</summary>
    public DkimKeyType KeyType => Ed25519PrivateKey is null ? DkimKeyType.Rsa : DkimKeyType.Ed25519;

    /// <summary>Header canonicalization (c= first half); relaxed by default.</summary>
    public DkimCanonicalization HeaderCanonicalization { get; set; } = DkimCanonicalization.Relaxed;

    /// <summary>Body canonicalization (c= second half); relaxed by default.</summary>
    public DkimCanonicalization BodyCanonicalization { get; set; } = DkimCanonicalization.Relaxed;

    /// <summary>When set, signatures carry x= this long after t=, after which verifiers treat them as expired.</summary>
    public TimeSpan? Expiration { get; set; }

    /// <summary>
    /// The header fields to sign when present; null means the default list (From, To, Cc, Subject, Date,
    /// Message-ID, Reply-To, MIME-Version, Content-Type, Content-Transfer-Encoding, In-Reply-To, References,
    /// List-Unsubscribe, List-Unsubscribe-Post). From is always signed and over-signed.
    /// </summary>
    public IList<string>? SignedHeaders { get; set; }

    /// <summary>Creates a configuration from a PEM private key: PKCS#1 or PKCS#8 RSA, or PKCS#8 Ed25519.</summary>
    /// <param name="domain">The signing domain (d=).</param>
    /// <param name="selector">The selector (s=).</param>
    /// <param name="pem">The PEM text of the private key.</param>
    /// <exception cref="DkimKeyException">The PEM is malformed, encrypted, of an unsupported key type, or an RSA key under 1024 bits.</exception>
    /// <exception cref="DkimException">The domain or selector is not a valid DNS name.</exception>
    public static DkimConfig FromPem(string domain, string selector, string pem) =>
        DkimKeyPair.FromPem(pem).ToConfig(domain, selector);
}
