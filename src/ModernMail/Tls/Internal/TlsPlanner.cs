using ModernMail.Dns;

namespace ModernMail.Tls.Internal;

/// <summary>Decides the TLS rules of each recipient domain and mail exchanger (one owner for MTA-STS, DANE and the
/// configured <see cref="TlsPolicy"/>), and counts session outcomes for TLS reporting.</summary>
internal sealed class TlsPlanner : IAsyncDisposable
{
    private readonly TlsPolicy _policy;
    private readonly WebPkiCheck _webPki;
    private readonly MtaStsResolver? _sts;
    private readonly DaneResolver? _dane;
    private readonly TlsReportRecorder? _reports;

    public TlsPlanner(BrokerConfig config, IDnsLookup dns, IMtaStsPolicyStore? policyStore, TlsReportRecorder? reports)
    {
        _policy = config.Tls;
        _webPki = config.TrustedRoots is { Count: > 0 } roots ? new WebPkiCheck(roots) : WebPkiCheck.System;
        var stsOptions = config.MtaSts ?? new MtaStsOptions();
        if (stsOptions.Enabled && _policy != TlsPolicy.Disabled)
        {
            if (stsOptions.TrustedRoots is null && config.TrustedRoots is { Count: > 0 })
            {
                stsOptions = new MtaStsOptions
                {
                    Enabled = true,
                    FetchTimeout = stsOptions.FetchTimeout,
                    HttpsPort = stsOptions.HttpsPort,
                    TrustedRoots = config.TrustedRoots,
                };
            }
            var factory = config.LoggerFactory;
            _sts = new MtaStsResolver(dns, stsOptions, policyStore, config.TimeProvider, factory?.CreateLogger("ModernMail.Tls"));
        }
        // Without a resolver marked validating no answer is ever authenticated: skip the lookups altogether.
        if (config.Dane is { Enabled: true, ValidatingResolvers.Count: > 0 } && _policy != TlsPolicy.Disabled)
        {
            _dane = new DaneResolver(dns, config.Dane, config.TimeProvider);
        }
        _reports = reports;
    }

    /// <summary>The rules for <paramref name="domain"/>; <paramref name="staticRoute"/> (an operator's route) bypasses recipient policies.</summary>
    /// <param name="domain">The recipient domain.</param>
    /// <param name="staticRoute">Whether it goes to a configured route (no MTA-STS or DANE then).</param>
    /// <param name="requireTls">Whether the message asked for REQUIRETLS.</param>
    /// <param name="cancellationToken">Cancels the policy fetch.</param>
    /// <param name="policyOverride">A traffic-shaping rule's TLS policy for this destination, instead of the configured one; an
    /// MTA-STS enforce policy and REQUIRETLS still win over it.</param>
    public async Task<DomainTlsPlan> PlanAsync(string domain, bool staticRoute, bool requireTls, CancellationToken cancellationToken, TlsPolicy? policyOverride = null)
    {
        MtaStsLookup? sts = null;
        if (_sts is not null && !staticRoute)
        {
            sts = await _sts.GetAsync(domain, cancellationToken).ConfigureAwait(false);
            if (sts.Policy is null && sts.Failure is not null)
            {
                Record(TlsSessionOutcome.NoPolicy(domain, sts.Failure) with { FailureReason = sts.FailureDetail });
            }
        }
        // With the configured policy Disabled there is no MTA-STS lookup, so "enforce" first only matters for a rule's override.
        HostTlsPlan floor = (policyOverride ?? _policy, sts?.Policy?.Mode) switch
        {
            (_, MtaStsMode.Enforce) => new(TlsRequirement.Authenticated, _webPki, AppliedTlsPolicy.MtaStsEnforce, "MTA-STS policy enforce"),
            (TlsPolicy.Disabled, _) when !requireTls => new(TlsRequirement.None, _webPki, AppliedTlsPolicy.None, "TLS policy Disabled"),
            _ when requireTls => new(TlsRequirement.Authenticated, _webPki, Applied(sts), "REQUIRETLS"),
            (TlsPolicy.Verify, _) => new(TlsRequirement.Authenticated, _webPki, Applied(sts), "TLS policy Verify"),
            (TlsPolicy.Required, _) => new(TlsRequirement.Encrypted, _webPki, Applied(sts), "TLS policy Required"),
            _ => new(TlsRequirement.Opportunistic, _webPki, Applied(sts), "opportunistic TLS"),
        };
        return new DomainTlsPlan(domain, floor, sts, requireTls, staticRoute);
    }

    private static AppliedTlsPolicy Applied(MtaStsLookup? sts) =>
        sts?.Policy?.Mode == MtaStsMode.Testing ? AppliedTlsPolicy.MtaStsTesting : AppliedTlsPolicy.None;

    /// <summary>The rules for one MX of the domain: DANE when the host has DNSSEC-validated TLSA records (it takes precedence
    /// over MTA-STS, RFC 8461 §2), else the domain's.</summary>
    public async ValueTask<HostTlsPlan> PlanHostAsync(DomainTlsPlan domain, string mxHost, int port, CancellationToken cancellationToken)
    {
        if (_dane is null || domain.StaticRoute || domain.Floor.Requirement == TlsRequirement.None)
        {
            return domain.Floor;
        }
        var dane = await _dane.LookupAsync(mxHost, port, cancellationToken).ConfigureAwait(false);
        switch (dane.Status)
        {
            case DaneStatus.Usable:
                return new HostTlsPlan(TlsRequirement.Authenticated, new DaneCheck(dane), AppliedTlsPolicy.Dane, "DANE") { Dane = dane };
            case DaneStatus.Unusable when domain.Floor.Requirement < TlsRequirement.Encrypted:
                // RFC 7672 §2.2: TLSA records exist but none is usable: still no clear text, the certificate unchecked.
                return new HostTlsPlan(TlsRequirement.Encrypted, domain.Floor.Check, AppliedTlsPolicy.Dane, "DANE, no usable TLSA record") { Dane = dane };
            case DaneStatus.Failed:
                Record(TlsSessionOutcome.Tlsa(domain.Domain, dane, TlsResultType.DnssecInvalid, null, dane.Reason));
                return domain.Floor with { Dane = dane, Refusal = $"DANE: {dane.Reason}; {mxHost} is treated as unreachable (RFC 7672 §2.2)" };
            default:
                return domain.Floor;
        }
    }

    /// <summary>Counts one session outcome for TLS reporting (nothing when reporting is off).</summary>
    public void Record(TlsSessionOutcome outcome) => _reports?.Record(outcome);

    /// <summary>Writes the counted outcomes and releases the policy fetcher.</summary>
    public async ValueTask DisposeAsync()
    {
        _sts?.Dispose();
        if (_reports is not null)
        {
            await _reports.DisposeAsync().ConfigureAwait(false);
        }
    }
}
