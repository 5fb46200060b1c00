namespace ModernMail.Dkim;

/// <summary>The kind of key a DKIM signature uses.</summary>
public enum DkimKeyType
{
    /// <summary>RSA with PKCS#1 v1.5 signatures, algorithm rsa-sha256 (RFC 6376, RFC 8301).</summary>
    Rsa,

    /// <summary>Ed25519, algorithm ed25519-sha256 (RFC 8463).</summary>
    Ed25519,
}
