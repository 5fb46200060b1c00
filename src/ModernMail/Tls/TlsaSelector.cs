namespace ModernMail.Tls;

/// <summary>Which part of a certificate a TLSA record matches (RFC 6698 §2.1.2).</summary>
public enum TlsaSelector : byte
{
    /// <summary>Cert(0): the whole certificate, DER-encoded.</summary>
    FullCertificate = 0,

    /// <summary>SPKI(1): the certificate's SubjectPublicKeyInfo, DER-encoded.</summary>
    SubjectPublicKeyInfo = 1,
}
