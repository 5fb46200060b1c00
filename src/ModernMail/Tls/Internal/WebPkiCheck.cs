using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ModernMail.Tls.Internal;

/// <summary>Web PKI validation (RFC 8461 §4.2, RFC 6125): a chain to a trusted root, current, and issued for the MX host name.</summary>
internal sealed class WebPkiCheck : CertificateCheck
{
    /// <summary>Validation against the system's trust store.</summary>
    public static readonly WebPkiCheck System = new(null);

    private readonly X509ChainPolicy? _policy;

    /// <summary>Trusts <paramref name="roots"/> instead of the system store when given (a private CA, or tests).</summary>
    public WebPkiCheck(X509Certificate2Collection? roots)
    {
        if (roots is { Count: > 0 })
        {
            _policy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                RevocationMode = X509RevocationMode.NoCheck,
            };
            _policy.CustomTrustStore.AddRange(roots);
        }
    }

    /// <inheritdoc />
    public override X509ChainPolicy? ChainPolicy => _policy?.Clone();

    /// <inheritdoc />
    public override CertificateVerdict Check(string host, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (errors == SslPolicyErrors.None)
        {
            return CertificateVerdict.Trusted;
        }
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable))
        {
            return new CertificateVerdict(false, TlsResultType.CertificateNotTrusted, "the server sent no certificate");
        }
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var status = chain?.ChainStatus ?? [];
            if (status.Any(s => s.Status.HasFlag(X509ChainStatusFlags.NotTimeValid)))
            {
                return new CertificateVerdict(false, TlsResultType.CertificateExpired, "the certificate has expired or is not yet valid");
            }
            string detail = status.Length == 0 ? "chain errors" : string.Join(", ", status.Select(s => s.Status.ToString()).Distinct());
            return new CertificateVerdict(false, TlsResultType.CertificateNotTrusted, $"the certificate is not trusted ({detail})");
        }
        return new CertificateVerdict(false, TlsResultType.CertificateHostMismatch, $"the certificate is not issued for {host}");
    }
}
