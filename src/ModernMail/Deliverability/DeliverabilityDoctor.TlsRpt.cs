using ModernMail.Dkim.Internal;

namespace ModernMail.Deliverability;

public sealed partial class DeliverabilityDoctor
{
    /// <summary>The domain's TLS-RPT record (RFC 8460 §3): one <c>v=TLSRPTv1</c> record whose <c>rua</c> lists mailto: or https: addresses.</summary>
    private async Task<IReadOnlyList<DoctorCheck>> CheckTlsRptAsync(DeliverabilitySetup setup, CancellationToken cancellationToken)
    {
        const string Area = "TLS-RPT";
        string domain = setup.Domain.TrimEnd('.');
        string name = "_smtp._tls." + domain;
        string example = $"\"v=TLSRPTv1; rua=mailto:tls-reports@{domain}\"";
        var txt = await _dns.QueryTxtAsync(name, cancellationToken).ConfigureAwait(false);
        if (txt.IsTransient)
        {
            return [CouldNotCheck(Area, "TXT", name, txt, CheckStatus.Warn)];
        }
        var records = txt.Records.Where(r => r.StartsWith("v=TLSRPTv1", StringComparison.Ordinal)).ToList();
        if (records.Count == 0)
        {
            return [new DoctorCheck(Area, CheckStatus.Warn, $"no TLS-RPT record at {name} (optional)",
                $"consider publishing one: it asks senders to report TLS failures to you, e.g. {example}")];
        }
        if (records.Count > 1)
        {
            return [new DoctorCheck(Area, CheckStatus.Fail, $"{records.Count} TLS-RPT records at {name}: senders use none of them", "keep exactly one", string.Join(" | ", records))];
        }
        string record = records[0];
        if (!DkimTagList.TryParse(record, out var tags, out _, out string? error) || !tags.TryGetValue("rua", out string? rua) || rua.Length == 0)
        {
            return [new DoctorCheck(Area, CheckStatus.Fail, $"the TLS-RPT record at {name} is invalid: {error ?? "no rua= tag"}", $"publish {example}", record)];
        }
        var bad = rua.Split(',', StringSplitOptions.TrimEntries)
            .Where(u => !(u.StartsWith("mailto:", StringComparison.OrdinalIgnoreCase) && u.Contains('@', StringComparison.Ordinal))
                && !(Uri.TryCreate(u, UriKind.Absolute, out var https) && https.Scheme == Uri.UriSchemeHttps))
            .ToList();
        if (bad.Count > 0)
        {
            return [new DoctorCheck(Area, CheckStatus.Fail, $"the TLS-RPT record at {name} has rua entries senders cannot use: {string.Join(", ", bad)}",
                "use mailto:ADDRESS or https://URL entries, separated by commas", record)];
        }
        return [new DoctorCheck(Area, CheckStatus.Pass, $"TLS-RPT record published at {name}: reports go to {rua}", null, record)];
    }
}
