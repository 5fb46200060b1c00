namespace ModernMail.Tls.Internal;

/// <summary>The TLS rules for one connection to one mail exchanger of one recipient domain.</summary>
/// <param name="Requirement">What the connection must have.</param>
/// <param name="Check">How the certificate is judged.</param>
/// <param name="Policy">The recipient-domain policy behind the requirement.</param>
/// <param name="Because">Why TLS is required, for failure messages ("MTA-STS enforce", "DANE", "TLS policy Verify").</param>
internal sealed record HostTlsPlan(TlsRequirement Requirement, CertificateCheck Check, AppliedTlsPolicy Policy, string Because)
{
    /// <summary>The host's DANE lookup, when DANE applies to it.</summary>
    public DaneLookup? Dane { get; init; }

    /// <summary>Why the host must not be tried at all (a failed TLSA lookup in a signed zone: RFC 7672 §2.2), else null.</summary>
    public string? Refusal { get; init; }

    /// <summary>The pool key suffix: a session opened under weaker rules (or other TLSA records) must not serve a stricter plan.</summary>
    public string PoolKey => Dane is { } dane
        ? Requirement + ":dane:" + string.Join(",", dane.UsableRecords)
        : Requirement.ToString();
}
