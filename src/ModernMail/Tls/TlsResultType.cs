namespace ModernMail.Tls;

/// <summary>The failure result types of SMTP TLS Reporting (RFC 8460 §4.3), as they appear in reports.</summary>
public static class TlsResultType
{
    /// <summary>The MX did not offer STARTTLS (or it was stripped).</summary>
    public const string StartTlsNotSupported = "starttls-not-supported";

    /// <summary>The certificate is not valid for the MX host name.</summary>
    public const string CertificateHostMismatch = "certificate-host-mismatch";

    /// <summary>The certificate has expired.</summary>
    public const string CertificateExpired = "certificate-expired";

    /// <summary>The certificate does not chain to a trusted root.</summary>
    public const string CertificateNotTrusted = "certificate-not-trusted";

    /// <summary>Any other validation failure (e.g. the handshake failed).</summary>
    public const string ValidationFailure = "validation-failure";

    /// <summary>No TLSA record of the usable set matched the certificate.</summary>
    public const string TlsaInvalid = "tlsa-invalid";

    /// <summary>The TLSA lookup failed DNSSEC validation.</summary>
    public const string DnssecInvalid = "dnssec-invalid";

    /// <summary>DANE required TLS and the session had none.</summary>
    public const string DaneRequired = "dane-required";

    /// <summary>The MTA-STS policy could not be fetched.</summary>
    public const string StsPolicyFetchError = "sts-policy-fetch-error";

    /// <summary>The MTA-STS policy was fetched but is invalid.</summary>
    public const string StsPolicyInvalid = "sts-policy-invalid";

    /// <summary>The MTA-STS policy host's certificate was not valid.</summary>
    public const string StsWebPkiInvalid = "sts-webpki-invalid";
}
