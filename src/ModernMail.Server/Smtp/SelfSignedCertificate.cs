using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace ModernMail.Server.Smtp;

/// <summary>A throwaway self-signed server certificate: for a server started without a configured certificate, and for the demo's MX.</summary>
internal static class SelfSignedCertificate
{
    /// <summary>Creates an RSA-2048 certificate for <paramref name="hostName"/> and 127.0.0.1, valid from five minutes ago for <paramref name="lifetime"/>.</summary>
    public static X509Certificate2 Create(string hostName, TimeProvider time, TimeSpan lifetime)
    {
        using RSA key = RSA.Create(2048);
        var request = new CertificateRequest($"CN={hostName}", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName(hostName);
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication")], critical: false));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        DateTimeOffset now = time.GetUtcNow();
        using X509Certificate2 certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.Add(lifetime));

        // Round-trip through PKCS#12 so the private key is usable by SslStream on every platform.
        return X509CertificateLoader.LoadPkcs12(certificate.Export(X509ContentType.Pkcs12), password: null);
    }
}
