using ModernMail.Deliverability.Internal;

namespace ModernMail.Deliverability;

public sealed partial class DeliverabilityDoctor
{
    private const string SpfArea = "SPF";

    private sealed record SpfCheckResult(IReadOnlyList<DoctorCheck> Checks, bool Passed);

    private async Task<SpfCheckResult> CheckSpfAsync(DeliverabilitySetup setup, CancellationToken cancellationToken)
    {
        var domain = setup.EffectiveMailFromDomain;
        var suggested = RecommendedRecords.SpfRecord(setup);
        var txt = await _dns.QueryTxtAsync(domain, cancellationToken).ConfigureAwait(false);
        if (txt.IsTransient)
        {
            return new([CouldNotCheck(SpfArea, "TXT", domain, txt)], false);
        }

        var records = txt.Records.Where(SpfRecord.IsSpfRecord).ToList();
        if (records.Count == 0)
        {
            return new([new DoctorCheck(SpfArea, CheckStatus.Fail, $"no SPF record at {domain}",
                $"publish TXT {domain}: \"{suggested}\"")], false);
        }

        if (records.Count > 1)
        {
            var quoted = string.Join(" and ", records.Select(r => $"\"{r}\""));
            return new([new DoctorCheck(SpfArea, CheckStatus.Fail,
                $"{domain} publishes {records.Count} SPF records ({quoted}); receivers treat that as permerror",
                "merge them into one record", string.Join(" | ", records))], false);
        }

        var record = records[0];
        if (!SpfRecord.TryParse(record, out var parsed, out var error))
        {
            return new([new DoctorCheck(SpfArea, CheckStatus.Fail, $"SPF record \"{record}\" has a syntax error: {error}",
                $"correct the record, for example \"{suggested}\"", record)], false);
        }

        var evaluator = new SpfEvaluator(_dns, _spfOptions);
        var evaluation = await evaluator.CheckHostAsync(setup.Address, domain, "postmaster@" + domain, setup.HeloName, cancellationToken)
            .ConfigureAwait(false);
        var checks = new List<DoctorCheck>();
        var lookups = $"{evaluation.DnsLookups} of 10 DNS lookups";
        switch (evaluation.Result)
        {
            case SpfResult.Pass:
                checks.Add(new DoctorCheck(SpfArea, evaluation.DnsLookups > 7 ? CheckStatus.Warn : CheckStatus.Pass,
                    $"SPF passes for {setup.Address}: {evaluation.Reason} ({lookups})",
                    evaluation.DnsLookups > 7 ? "close to the 10-lookup limit: replace include:/a/mx terms with ip4:/ip6: where you can" : null,
                    record));
                break;
            case SpfResult.TempError:
                checks.Add(new DoctorCheck(SpfArea, CheckStatus.Fail, $"could not check: {evaluation.Reason}",
                    "check that the DNS servers answer, then run the doctor again", record));
                break;
            case SpfResult.PermError:
                checks.Add(new DoctorCheck(SpfArea, CheckStatus.Fail, $"SPF record \"{record}\" gives permerror: {evaluation.Reason}",
                    $"correct the record, for example \"{suggested}\"", record));
                break;
            default:
                checks.Add(new DoctorCheck(SpfArea, CheckStatus.Fail,
                    $"SPF does not authorise {setup.Address}: result {evaluation.Result.ToString().ToLowerInvariant()} ({evaluation.Reason})",
                    $"add {suggested.Split(' ')[1]} to the record: \"{WithAddress(record, suggested.Split(' ')[1])}\"", record));
                break;
        }

        foreach (var directive in parsed.Directives)
        {
            if (directive.Mechanism == SpfMechanism.All && directive.Qualifier == SpfResult.Pass)
            {
                checks.Add(new DoctorCheck(SpfArea, CheckStatus.Warn, $"\"{directive.Text}\" authorises every address on the internet",
                    "end the record with -all or ~all", record));
            }
        }

        return new(checks, evaluation.Result == SpfResult.Pass);
    }

    // Puts the mechanism before the record's "all" term, or at the end when there is none.
    private static string WithAddress(string record, string mechanism)
    {
        var terms = record.Split(' ', StringSplitOptions.RemoveEmptyEntries).ToList();
        var all = terms.FindIndex(t => t.TrimStart('+', '-', '~', '?').Equals("all", StringComparison.OrdinalIgnoreCase));
        terms.Insert(all < 0 ? terms.Count : all, mechanism);
        return string.Join(' ', terms);
    }
}
