namespace ModernMail.Tls.Internal;

/// <summary>Whether a mail exchanger's certificate authenticates it, and if not, why, as an RFC 8460 result type.</summary>
/// <param name="Valid">True when the certificate is trusted, current and issued for the host name (or matched its TLSA records).</param>
/// <param name="ResultType">Null when valid; else a <see cref="TlsResultType"/> value.</param>
/// <param name="Reason">The failure in words, for results and logs.</param>
internal sealed record CertificateVerdict(bool Valid, string? ResultType = null, string? Reason = null)
{
    /// <summary>A certificate that authenticates the host.</summary>
    public static readonly CertificateVerdict Trusted = new(true);

    /// <summary>No TLS at all: nothing was validated.</summary>
    public static readonly CertificateVerdict NotChecked = new(false, TlsResultType.StartTlsNotSupported, "no TLS");
}
