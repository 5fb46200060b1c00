namespace ModernMail.Tls;

/// <summary>Whether a TLS server's certificate satisfies a host's DANE TLSA records, and why.</summary>
/// <param name="IsMatch">True when the certificate is acceptable under the host's <see cref="DaneStatus"/>.</param>
/// <param name="Reason">Which record matched, or why none did, for logs, results and TLS reports.</param>
public sealed record DaneMatch(bool IsMatch, string Reason);
