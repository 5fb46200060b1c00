using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ModernMail.Tls.Internal;

/// <summary>Authenticates a mail exchanger by its DNSSEC-validated TLSA records (RFC 7672 §3) instead of Web PKI.</summary>
internal sealed class DaneCheck(DaneLookup lookup) : CertificateCheck
{
    public DaneLookup Lookup { get; } = lookup;

    /// <inheritdoc />
    public override CertificateVerdict Check(string host, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null)
        {
            return new CertificateVerdict(false, TlsResultType.ValidationFailure, "DANE: the server sent no certificate");
        }
        var leaf = certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var match = Lookup.Matches(leaf, chain);
        return match.IsMatch ? CertificateVerdict.Trusted : new CertificateVerdict(false, TlsResultType.ValidationFailure, "DANE: " + match.Reason);
    }
}
