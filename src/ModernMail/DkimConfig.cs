using System.Security.Cryptography;

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
}
