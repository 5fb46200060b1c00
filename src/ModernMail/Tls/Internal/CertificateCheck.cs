using System.Net.Security;
using System.Security.Cryptography.X509Certificates;

namespace ModernMail.Tls.Internal;

/// <summary>Judges the certificate a mail exchanger presents during STARTTLS.</summary>
/// <remarks>The SMTP session always completes the handshake and keeps the verdict; the transport decides what an invalid
/// certificate costs (nothing under opportunistic TLS, the connection under MTA-STS enforce, DANE or <see cref="TlsPolicy.Verify"/>).</remarks>
internal abstract class CertificateCheck
{
    /// <summary>The chain policy SslStream validates with (custom roots), or null for the system's.</summary>
    public virtual X509ChainPolicy? ChainPolicy => null;

    /// <summary>The verdict on the certificate <paramref name="host"/> presented.</summary>
    public abstract CertificateVerdict Check(string host, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors);
}
