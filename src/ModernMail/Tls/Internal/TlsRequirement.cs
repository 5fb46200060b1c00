namespace ModernMail.Tls.Internal;

/// <summary>How much TLS one connection to one mail exchanger must have; ordered from least to most.</summary>
internal enum TlsRequirement
{
    /// <summary>No STARTTLS at all (<see cref="TlsPolicy.Disabled"/>).</summary>
    None,

    /// <summary>STARTTLS when offered, clear text otherwise (RFC 7435).</summary>
    Opportunistic,

    /// <summary>TLS with any certificate (<see cref="TlsPolicy.Required"/>).</summary>
    Encrypted,

    /// <summary>TLS with a certificate that authenticates the MX: Web PKI and host name, or its TLSA records.</summary>
    Authenticated,
}
