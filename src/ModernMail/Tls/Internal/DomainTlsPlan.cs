namespace ModernMail.Tls.Internal;

/// <summary>The TLS rules for delivering to one recipient domain: its MTA-STS policy (if any) and the configured floor.</summary>
internal sealed class DomainTlsPlan
{
    public DomainTlsPlan(string domain, HostTlsPlan floor, MtaStsLookup? sts, bool requireTls, bool staticRoute)
    {
        StaticRoute = staticRoute;
        Domain = domain;
        Floor = floor;
        Sts = sts;
        RequireTls = requireTls;
    }

    /// <summary>True for a configured route: recipient policies (MTA-STS, DANE) do not apply.</summary>
    public bool StaticRoute { get; }

    /// <summary>The ASCII recipient domain.</summary>
    public string Domain { get; }

    /// <summary>The rules for an MX without DANE.</summary>
    public HostTlsPlan Floor { get; }

    /// <summary>The MTA-STS lookup, when MTA-STS applies (enabled, and the domain routed by its MX records).</summary>
    public MtaStsLookup? Sts { get; }

    /// <summary>The message asks for REQUIRETLS (RFC 8689).</summary>
    public bool RequireTls { get; }

    /// <summary>The policy in force, if any.</summary>
    public MtaStsPolicy? StsPolicy => Sts?.Policy is { Mode: not MtaStsMode.None } policy ? policy : null;

    /// <summary>True when the MX is named by an MTA-STS policy, which REQUIRETLS accepts in place of a DNSSEC-signed MX (RFC 8689 §4.2.1).</summary>
    public bool StsCovers(string mxHost) => StsPolicy is { } policy && policy.MatchesMx(mxHost);

    /// <summary>The TLS-RPT outcome of one session with <paramref name="mx"/> under this plan.</summary>
    public TlsSessionOutcome Outcome(HostTlsPlan host, string? resultType, string? mx, System.Net.IPAddress? ip, string? reason)
    {
        if (host.Policy == AppliedTlsPolicy.Dane && host.Dane is { } dane)
        {
            return TlsSessionOutcome.Tlsa(Domain, dane, resultType, ip, reason);
        }
        if (StsPolicy is { } policy)
        {
            return TlsSessionOutcome.Sts(policy, resultType, mx, ip, reason);
        }
        return TlsSessionOutcome.NoPolicy(Domain, resultType, mx, ip) with { FailureReason = reason };
    }
}
