using System.Net;

namespace ModernMail.Tls;

/// <summary>How one delivery session went under a recipient domain's TLS policy: one line of a TLS report (RFC 8460).</summary>
/// <param name="PolicyDomain">The recipient domain whose policy applied.</param>
/// <param name="PolicyType"><c>sts</c>, <c>tlsa</c> or <c>no-policy-found</c> (RFC 8460 §4.4).</param>
/// <param name="PolicyStrings">The policy as text lines (the MTA-STS policy's lines, or the TLSA records).</param>
/// <param name="MxPatterns">The MTA-STS policy's mx patterns; empty for other policy types.</param>
/// <param name="ResultType">Null for a successful session, else one of <see cref="TlsResultType"/>.</param>
/// <param name="ReceivingMx">The MX host name, when a connection was attempted.</param>
/// <param name="ReceivingIp">The MX address, when known.</param>
/// <param name="SendingIp">Our source address, when known.</param>
/// <param name="FailureReason">A short reason, for failures (the report's failure-reason-code).</param>
public sealed record TlsSessionOutcome(
    string PolicyDomain,
    string PolicyType,
    IReadOnlyList<string> PolicyStrings,
    IReadOnlyList<string> MxPatterns,
    string? ResultType,
    string? ReceivingMx = null,
    IPAddress? ReceivingIp = null,
    IPAddress? SendingIp = null,
    string? FailureReason = null)
{
    /// <summary>The outcome of a session for a domain without any policy.</summary>
    public static TlsSessionOutcome NoPolicy(string domain, string? resultType = null, string? mx = null, IPAddress? ip = null) =>
        new(domain, "no-policy-found", [], [], resultType, mx, ip);

    /// <summary>The outcome of a session under an MTA-STS policy.</summary>
    public static TlsSessionOutcome Sts(MtaStsPolicy policy, string? resultType = null, string? mx = null, IPAddress? ip = null, string? information = null)
    {
        ArgumentNullException.ThrowIfNull(policy);
        var lines = new List<string> { "version: STSv1", "mode: " + policy.Mode.ToString().ToLowerInvariant() };
        lines.AddRange(policy.MxPatterns.Select(p => "mx: " + p));
        lines.Add("max_age: " + (long)policy.MaxAge.TotalSeconds);
        return new(policy.Domain, "sts", lines, policy.MxPatterns, resultType, mx, ip, null, information);
    }

    /// <summary>The outcome of a session under DANE: policy type <c>tlsa</c>, the authenticated TLSA records as policy strings (RFC 8460 §4.4).</summary>
    /// <param name="policyDomain">The recipient domain.</param>
    /// <param name="lookup">The MX host's DANE lookup; its host is the receiving MX.</param>
    /// <param name="resultType">Null for success, else one of <see cref="TlsResultType"/> (<c>tlsa-invalid</c>, <c>dnssec-invalid</c>, <c>dane-required</c>).</param>
    /// <param name="ip">The MX address, when known.</param>
    /// <param name="information">A short reason, for failures (such as <see cref="DaneMatch.Reason"/>).</param>
    public static TlsSessionOutcome Tlsa(string policyDomain, DaneLookup lookup, string? resultType = null, IPAddress? ip = null, string? information = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(policyDomain);
        ArgumentNullException.ThrowIfNull(lookup);
        return new(policyDomain.TrimEnd('.').ToLowerInvariant(), "tlsa", lookup.Records.Select(r => r.ToString()).ToArray(), [], resultType, lookup.Host, ip, null, information);
    }
}
