namespace ModernMail.Dkim;

/// <summary>A DKIM canonicalization algorithm (RFC 6376 §3.4).</summary>
public enum DkimCanonicalization
{
    /// <summary>"relaxed": tolerates whitespace changes and header refolding (§3.4.2, §3.4.4).</summary>
    Relaxed,

    /// <summary>"simple": tolerates almost no modification (§3.4.1, §3.4.3).</summary>
    Simple,
}
