namespace ModernMail.Tls;

/// <summary>What a domain's MTA-STS policy asks of senders (RFC 8461 §5).</summary>
public enum MtaStsMode
{
    /// <summary>Deliver only to MX hosts the policy lists, over TLS with a certificate valid for the MX host name; otherwise defer.</summary>
    Enforce,

    /// <summary>Deliver as usual and report what would have failed (TLS-RPT).</summary>
    Testing,

    /// <summary>The domain withdrew its policy: treat it as having none.</summary>
    None,
}
