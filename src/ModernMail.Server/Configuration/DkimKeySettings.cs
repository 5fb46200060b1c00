namespace ModernMail.Server.Configuration;

/// <summary>One DKIM signing key for one sender domain.</summary>
public sealed class DkimKeySettings
{
    /// <summary>The signing domain (d=): messages whose From domain is this domain or one of its subdomains are signed.</summary>
    public string Domain { get; set; } = "";

    /// <summary>The selector (s=).</summary>
    public string Selector { get; set; } = "";

    /// <summary>The PEM private key file (PKCS#8 RSA or Ed25519, or PKCS#1 RSA); relative paths are relative to the configuration file.</summary>
    public string KeyFile { get; set; } = "";
}
