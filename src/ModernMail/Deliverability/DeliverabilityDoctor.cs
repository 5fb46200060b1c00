using ModernMail.Dns;

namespace ModernMail.Deliverability;

/// <summary>Checks a sending setup's DNS (SPF, DKIM, DMARC, PTR, HELO, MX, MTA-STS, TLS-RPT) and says what to change.</summary>
/// <remarks>
/// Every check is PASS, WARN or FAIL. A DNS timeout or SERVFAIL is reported as "could not check" (FAIL for the
/// required records, WARN for the optional ones), never as a missing record.
/// </remarks>
public sealed partial class DeliverabilityDoctor
{
    private readonly IDnsLookup _dns;
    private readonly SpfEvaluatorOptions? _spfOptions;

    /// <summary>Creates a doctor that asks <paramref name="dns"/>.</summary>
    /// <param name="dns">The DNS to check against; <see cref="DnsClientLookup"/> for the real thing.</param>
    /// <param name="spfOptions">Settings for the SPF evaluation.</param>
    public DeliverabilityDoctor(IDnsLookup dns, SpfEvaluatorOptions? spfOptions = null)
    {
        ArgumentNullException.ThrowIfNull(dns);
        _dns = dns;
        _spfOptions = spfOptions;
    }

    /// <summary>Runs every check for <paramref name="setup"/>.</summary>
    public async Task<DoctorReport> CheckAsync(DeliverabilitySetup setup, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(setup);
        var spf = CheckSpfAsync(setup, cancellationToken);
        var dkim = CheckDkimAsync(setup, cancellationToken);
        var reverse = CheckReverseAsync(setup, cancellationToken);
        var helo = CheckHeloAsync(setup, cancellationToken);
        var mx = CheckMxAsync(setup, cancellationToken);
        var mtaSts = CheckMtaStsAsync(setup, cancellationToken);
        var tlsRpt = CheckTlsRptAsync(setup, cancellationToken);
        await Task.WhenAll(spf, dkim, reverse, helo, mx, mtaSts, tlsRpt).ConfigureAwait(false);

        var spfResult = await spf.ConfigureAwait(false);
        var dkimResult = await dkim.ConfigureAwait(false);
        var dmarc = await CheckDmarcAsync(setup, spfResult.Passed, dkimResult.Usable, cancellationToken).ConfigureAwait(false);

        var checks = new List<DoctorCheck>();
        checks.AddRange(spfResult.Checks);
        checks.AddRange(dkimResult.Checks);
        checks.AddRange(dmarc);
        checks.AddRange(await reverse.ConfigureAwait(false));
        checks.AddRange(await helo.ConfigureAwait(false));
        checks.AddRange(await mx.ConfigureAwait(false));
        checks.AddRange(await mtaSts.ConfigureAwait(false));
        checks.AddRange(await tlsRpt.ConfigureAwait(false));
        return new DoctorReport(setup, checks);
    }

    private static DoctorCheck CouldNotCheck<T>(string area, string type, string name, DnsQueryResult<T> result, CheckStatus status = CheckStatus.Fail) =>
        new(area, status, $"could not check: {result.Describe()} looking up {type} {name}",
            "check that the DNS servers answer, then run the doctor again");
}
