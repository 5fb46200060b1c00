namespace ModernMail.Tls;

/// <summary>How a TLSA record's data is compared with the selected certificate part (RFC 6698 §2.1.3).</summary>
public enum TlsaMatchingType : byte
{
    /// <summary>Full(0): the data is the selected content itself.</summary>
    Full = 0,

    /// <summary>SHA2-256(1): the data is the SHA-256 digest of the selected content.</summary>
    Sha256 = 1,

    /// <summary>SHA2-512(2): the data is the SHA-512 digest of the selected content.</summary>
    Sha512 = 2,
}
