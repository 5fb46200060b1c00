namespace ModernMail.Tls;

/// <summary>What DANE (RFC 7672) says about one MX host, and so how the SMTP client must treat it.</summary>
public enum DaneStatus
{
    /// <summary>DANE is switched off in the configuration: pre-DANE TLS rules apply.</summary>
    Disabled,

    /// <summary>
    /// The host's address records or its TLSA answer were not DNSSEC-authenticated by a trusted validating resolver: any
    /// TLSA records are ignored and pre-DANE TLS rules apply (RFC 7672 §2.2, §2.2.2).
    /// </summary>
    Insecure,

    /// <summary>An authenticated denial: the host has no TLSA records, so DANE does not apply (RFC 7672 §2.2).</summary>
    NoRecords,

    /// <summary>
    /// Authenticated TLSA records, at least one usable: TLS is mandatory and the server is authenticated by the TLSA
    /// records instead of WebPKI (RFC 7672 §2.2, §3); no clear-text fallback.
    /// </summary>
    Usable,

    /// <summary>
    /// Authenticated TLSA records, none usable (only PKIX usages, unknown fields, bad digest lengths): TLS is still
    /// mandatory, without authentication (RFC 7672 §2.2; Postfix's "encrypt" fallback).
    /// </summary>
    Unusable,

    /// <summary>
    /// The TLSA or address lookup failed (timeout, SERVFAIL, which a validating resolver also answers for bogus data):
    /// the MX host must be treated as unreachable and delivery to it deferred (RFC 7672 §2.2).
    /// </summary>
    Failed,
}
