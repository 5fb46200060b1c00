using ModernMail.Deliverability.Internal;

namespace ModernMail.Deliverability;

public sealed partial class DeliverabilityDoctor
{
    private const string DmarcArea = "DMARC";

    private async Task<IReadOnlyList<DoctorCheck>> CheckDmarcAsync(
        DeliverabilitySetup setup, bool spfPassed, bool dkimUsable, CancellationToken cancellationToken)
    {
        var domain = setup.Domain.TrimEnd('.');
        var suggested = RecommendedRecords.DmarcRecord(domain);
        var name = "_dmarc." + domain;
        var txt = await _dns.QueryTxtAsync(name, cancellationToken).ConfigureAwait(false);
        if (txt.IsTransient)
        {
            return [CouldNotCheck(DmarcArea, "TXT", name, txt)];
        }

        var records = txt.Records.Where(DmarcRecord.IsDmarcRecord).ToList();
        var inherited = "";
        var organizational = OrganizationalDomain.Of(domain);
        if (records.Count == 0 && !organizational.Equals(domain, StringComparison.OrdinalIgnoreCase))
        {
            // RFC 7489 §6.6.3: without a record at the From domain, the organizational domain's record applies.
            var orgName = "_dmarc." + organizational;
            var org = await _dns.QueryTxtAsync(orgName, cancellationToken).ConfigureAwait(false);
            if (org.IsTransient)
            {
                return [CouldNotCheck(DmarcArea, "TXT", orgName, org)];
            }

            records = org.Records.Where(DmarcRecord.IsDmarcRecord).ToList();
            inherited = $" (inherited from {orgName}; {OrganizationalDomain.RuleDescription})";
            name = orgName;
        }

        if (records.Count == 0)
        {
            return [new DoctorCheck(DmarcArea, CheckStatus.Fail, $"no DMARC record at _dmarc.{domain}",
                $"publish TXT _dmarc.{domain}: \"{suggested}\"")];
        }

        if (records.Count > 1)
        {
            return [new DoctorCheck(DmarcArea, CheckStatus.Fail,
                $"{records.Count} DMARC records at {name}; receivers then apply no DMARC policy at all",
                "keep exactly one", string.Join(" | ", records))];
        }

        var text = records[0];
        if (!DmarcRecord.TryParse(text, out var dmarc, out var error))
        {
            return [new DoctorCheck(DmarcArea, CheckStatus.Fail, $"DMARC record \"{text}\" at {name} is malformed: {error}",
                $"correct it, for example \"{suggested}\"", text)];
        }

        var checks = new List<DoctorCheck>();
        var policy = inherited.Length > 0 && dmarc.SubdomainPolicy is { } sp ? sp : dmarc.Policy;
        if (policy == "none")
        {
            checks.Add(new DoctorCheck(DmarcArea, CheckStatus.Warn, $"p=none at {name}{inherited}: monitoring only, receivers take no action on failing mail",
                "move to p=quarantine, then p=reject, once the aggregate reports show only your own mail", text));
        }
        else if (dmarc.Percent < 100)
        {
            checks.Add(new DoctorCheck(DmarcArea, CheckStatus.Warn, $"p={policy} at {name}{inherited}, but only for pct={dmarc.Percent}% of failing mail",
                "raise pct to 100 (or drop it)", text));
        }
        else
        {
            checks.Add(new DoctorCheck(DmarcArea, CheckStatus.Pass,
                $"p={policy} at {name}{inherited}{(dmarc.AggregateReports is null ? "; no rua= so you get no reports" : "")}", null, text));
        }

        checks.Add(CheckAlignment(setup, dmarc, spfPassed, dkimUsable, text));
        return checks;
    }

    // RFC 7489 §3.1: DMARC passes when SPF or DKIM passes for a domain aligned with the From domain.
    private static DoctorCheck CheckAlignment(DeliverabilitySetup setup, DmarcRecord dmarc, bool spfPassed, bool dkimUsable, string text)
    {
        var from = setup.Domain.TrimEnd('.');
        var spfDomain = setup.EffectiveMailFromDomain;
        var dkimDomain = setup.EffectiveDkimDomain;
        var spfAligned = OrganizationalDomain.Aligned(from, spfDomain, dmarc.StrictSpf);
        var dkimAligned = setup.DkimSelector is { Length: > 0 } && OrganizationalDomain.Aligned(from, dkimDomain, dmarc.StrictDkim);
        var spfMode = dmarc.StrictSpf ? "strict" : "relaxed";
        var dkimMode = dmarc.StrictDkim ? "strict" : "relaxed";
        var detail = $"From {from}; SPF domain {spfDomain} {(spfAligned ? "aligned" : "not aligned")} (aspf {spfMode}){(spfPassed ? "" : " but SPF does not pass")}; " +
            (setup.DkimSelector is { Length: > 0 }
                ? $"DKIM d={dkimDomain} {(dkimAligned ? "aligned" : "not aligned")} (adkim {dkimMode}){(dkimUsable ? "" : " but the key is not usable")}"
                : "no DKIM") +
            $"; {OrganizationalDomain.RuleDescription}";
        var spfOk = spfAligned && spfPassed;
        var dkimOk = dkimAligned && dkimUsable;
        if (spfOk && dkimOk)
        {
            return new DoctorCheck(DmarcArea, CheckStatus.Pass, $"aligned through SPF and DKIM: {detail}", null, text);
        }

        if (spfOk || dkimOk)
        {
            return new DoctorCheck(DmarcArea, CheckStatus.Warn, $"aligned through {(spfOk ? "SPF" : "DKIM")} only: {detail}",
                spfOk ? "sign with DKIM for the From domain: SPF breaks when mail is forwarded" : "make SPF pass for the MAIL FROM domain as a second path", text);
        }

        return new DoctorCheck(DmarcArea, CheckStatus.Fail, $"mail will fail DMARC, nothing aligned passes: {detail}",
            $"make SPF pass for a MAIL FROM under {from}, or sign with DKIM d={from}", text);
    }
}
