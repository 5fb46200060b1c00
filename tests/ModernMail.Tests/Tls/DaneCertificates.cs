using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ModernMail.Tests.Tls;

/// <summary>Throwaway ECDSA certificates with fixed validity for DANE tests: a root, an intermediate below it and leaves.</summary>
internal static class DaneCertificates
{
    /// <summary>The time the tests check certificates at; every certificate here is valid then unless made expired.</summary>
    public static readonly DateTimeOffset Now = new(2026, 6, 1, 0, 0, 0, TimeSpan.Zero);

    private static readonly DateTimeOffset s_notBefore = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset s_notAfter = new(2027, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static X509Certificate2 Root(string name = "DANE Test Root")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = CaRequest(name, key);
        return request.CreateSelfSigned(s_notBefore, s_notAfter);
    }

    public static X509Certificate2 Intermediate(X509Certificate2 issuer, string name = "DANE Test Intermediate")
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var issued = CaRequest(name, key).Create(issuer, s_notBefore, s_notAfter, RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>A server certificate for <paramref name="dnsNames"/>, self-signed when <paramref name="issuer"/> is null.</summary>
    public static X509Certificate2 Leaf(X509Certificate2? issuer, string[] dnsNames, bool expired = false, string? commonName = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName ?? (dnsNames.Length > 0 ? dnsNames[0] : "no-name")}", key, HashAlgorithmName.SHA256);
        if (dnsNames.Length > 0)
        {
            var san = new SubjectAlternativeNameBuilder();
            foreach (string name in dnsNames)
            {
                san.AddDnsName(name);
            }
            request.CertificateExtensions.Add(san.Build());
        }
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var notAfter = expired ? s_notBefore.AddDays(30) : s_notAfter;
        if (issuer is null)
        {
            return request.CreateSelfSigned(s_notBefore, notAfter);
        }
        using var issued = request.Create(issuer, s_notBefore, notAfter, RandomNumberGenerator.GetBytes(8));
        return issued.CopyWithPrivateKey(key);
    }

    /// <summary>A chain as SslStream's validation callback gives it: the certificates the server sent beside the leaf in its extra store.</summary>
    public static X509Chain Presented(params X509Certificate2[] others)
    {
        var chain = new X509Chain();
        chain.ChainPolicy.ExtraStore.AddRange(others);
        return chain;
    }

    /// <summary>A TLSA record for <paramref name="certificate"/>.</summary>
    public static ModernMail.Tls.TlsaRecord Tlsa(ModernMail.Tls.TlsaUsage usage, ModernMail.Tls.TlsaSelector selector, ModernMail.Tls.TlsaMatchingType matching, X509Certificate2 certificate)
    {
        byte[] content = selector == ModernMail.Tls.TlsaSelector.FullCertificate ? certificate.RawData : certificate.PublicKey.ExportSubjectPublicKeyInfo();
        byte[] data = matching switch
        {
            ModernMail.Tls.TlsaMatchingType.Sha256 => SHA256.HashData(content),
            ModernMail.Tls.TlsaMatchingType.Sha512 => SHA512.HashData(content),
            _ => content,
        };
        return new ModernMail.Tls.TlsaRecord(usage, selector, matching, data);
    }

    private static CertificateRequest CaRequest(string name, ECDsa key)
    {
        var request = new CertificateRequest($"CN={name}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        return request;
    }
}
