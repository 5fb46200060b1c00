namespace ModernMail.Deliverability;

/// <summary>The result of an SPF check_host() evaluation (RFC 7208 §2.6).</summary>
public enum SpfResult
{
    /// <summary>No SPF record was found, or the domain was not a valid name to check.</summary>
    None,

    /// <summary>The domain owner states nothing about the address ("?" or no mechanism matched).</summary>
    Neutral,

    /// <summary>The address is authorised.</summary>
    Pass,

    /// <summary>The address is explicitly not authorised ("-").</summary>
    Fail,

    /// <summary>The address is probably not authorised ("~").</summary>
    SoftFail,

    /// <summary>A transient DNS error (timeout, SERVFAIL) stopped the check.</summary>
    TempError,

    /// <summary>The published records are broken: syntax errors, several records, or a processing limit was hit.</summary>
    PermError,
}
