using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ModernMail.Server.Configuration;

namespace ModernMail.Server.Smtp;

/// <summary>The certificate the submission listener offers: the configured PEM pair, or a generated self-signed one.</summary>
internal static class ServerCertificate
{
    /// <exception cref="ServerConfigurationException">Only one of the two paths is set, or a file cannot be read or does not hold a matching pair.</exception>
    public static X509Certificate2 Load(SmtpSettings settings, string hostName, TimeProvider time)
    {
        bool hasCertificate = !string.IsNullOrWhiteSpace(settings.CertificatePath);
        bool hasKey = !string.IsNullOrWhiteSpace(settings.KeyPath);
        if (!hasCertificate && !hasKey)
        {
            // A fresh install still offers STARTTLS, so AUTH never travels in clear text; clients must be told to accept it.
            return SelfSignedCertificate.Create(hostName, time, TimeSpan.FromDays(365));
        }
        if (hasCertificate != hasKey)
        {
            throw new ServerConfigurationException("Smtp:CertificatePath and Smtp:KeyPath: give both PEM files (certificate and private key), or neither for a self-signed certificate.");
        }
        try
        {
            // CertificatePath/KeyPath are checked non-empty above.
            using var pem = X509Certificate2.CreateFromPemFile(settings.CertificatePath!, settings.KeyPath);
            // Through PKCS#12 so SslStream can use the private key on every platform.
            return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), password: null);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException or ArgumentException)
        {
            throw new ServerConfigurationException($"Smtp:CertificatePath \"{settings.CertificatePath}\" / Smtp:KeyPath \"{settings.KeyPath}\": {ex.Message}", ex);
        }
    }
}
