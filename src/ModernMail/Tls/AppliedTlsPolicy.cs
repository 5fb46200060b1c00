namespace ModernMail.Tls;

/// <summary>Which recipient-domain TLS policy governed a delivery (RFC 8461 MTA-STS, RFC 7672 DANE).</summary>
public enum AppliedTlsPolicy
{
    /// <summary>The domain publishes no policy (or a static route bypassed it): the configured <see cref="TlsPolicy"/> alone applied.</summary>
    None,

    /// <summary>An MTA-STS policy in testing mode: delivered as usual, failures recorded for TLS reporting.</summary>
    MtaStsTesting,

    /// <summary>An MTA-STS policy in enforce mode: only matching MX hosts, only over TLS with a certificate valid for the MX name.</summary>
    MtaStsEnforce,

    /// <summary>DNSSEC-validated TLSA records: TLS mandatory, the server authenticated by its TLSA records.</summary>
    Dane,
}
