using System.Security.Cryptography.X509Certificates;

namespace ModernMail.Tls;

/// <summary>How MTA-STS policies (RFC 8461) are discovered and fetched.</summary>
public sealed class MtaStsOptions
{
    /// <summary>Whether recipient domains' MTA-STS policies are looked up and honoured (default true).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How long a policy fetch may take (RFC 8461 §3.3 suggests at least a minute; default 60 s).</summary>
    public TimeSpan FetchTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The HTTPS port of <c>mta-sts.DOMAIN</c> (443; another port only for tests and private deployments).</summary>
    public int HttpsPort { get; set; } = 443;

    /// <summary>Roots to trust for policy hosts instead of the system's (a private CA); null uses the system trust store.</summary>
    public X509Certificate2Collection? TrustedRoots { get; set; }
}
