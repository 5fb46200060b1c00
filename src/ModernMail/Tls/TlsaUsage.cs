namespace ModernMail.Tls;

/// <summary>The certificate usage field of a TLSA record (RFC 6698 §2.1.1, acronyms from RFC 7218).</summary>
public enum TlsaUsage : byte
{
    /// <summary>PKIX-TA(0): a CA that must also be trusted by WebPKI; not usable for SMTP (RFC 7672 §3.1.3).</summary>
    PkixTa = 0,

    /// <summary>PKIX-EE(1): the server certificate, which must also be trusted by WebPKI; not usable for SMTP (RFC 7672 §3.1.3).</summary>
    PkixEe = 1,

    /// <summary>DANE-TA(2): a trust anchor in the server's chain; the chain must validate to it and name the host (RFC 7672 §3.1.2).</summary>
    DaneTa = 2,

    /// <summary>DANE-EE(3): the server certificate or its public key itself; no name or expiry checks (RFC 7672 §3.1.1).</summary>
    DaneEe = 3,
}
