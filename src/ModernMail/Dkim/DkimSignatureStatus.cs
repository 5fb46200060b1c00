namespace ModernMail.Dkim;

/// <summary>The outcome of verifying one DKIM signature (RFC 6376 §6.1, RFC 8601 §2.7.1 result names).</summary>
public enum DkimSignatureStatus
{
    /// <summary>The message carries no DKIM-Signature field.</summary>
    None,

    /// <summary>The signature verified.</summary>
    Pass,

    /// <summary>The signature or body hash did not verify, or the signature has expired.</summary>
    Fail,

    /// <summary>A transient problem (a DNS failure) prevented verification; retrying may succeed.</summary>
    TempError,

    /// <summary>The signature or key record is malformed or unusable; retrying will not help.</summary>
    PermError,
}
