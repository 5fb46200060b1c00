using ModernMail.Dns;
using ModernMail.Tls;
using ModernMail.Tls.Internal;

namespace ModernMail.Deliverability;

public sealed partial class DeliverabilityDoctor
{
    /// <summary>How the MTA-STS policy file is fetched (port, trusted roots, timeout); the defaults are the real Internet's.</summary>
    public MtaStsOptions MtaSts { get; init; } = new() { FetchTimeout = TimeSpan.FromSeconds(15) };

    /// <summary>The domain's own MTA-STS (RFC 8461): the TXT record, the policy file over HTTPS (same parser and fetcher as
    /// delivery), and whether its mx patterns cover every MX, since senders enforcing it refuse the ones they do not.</summary>
    private async Task<IReadOnlyList<DoctorCheck>> CheckMtaStsAsync(DeliverabilitySetup setup, CancellationToken cancellationToken)
    {
        const string Area = "MTA-STS";
        string domain = setup.Domain.TrimEnd('.');
        string name = "_mta-sts." + domain;
        string url = $"https://mta-sts.{domain}/.well-known/mta-sts.txt";
        var txt = await _dns.QueryTxtAsync(name, cancellationToken).ConfigureAwait(false);
        if (txt.IsTransient)
        {
            return [CouldNotCheck(Area, "TXT", name, txt, CheckStatus.Warn)];
        }
        if (!txt.Records.Any(r => r.StartsWith("v=STSv1", StringComparison.Ordinal)))
        {
            return [new DoctorCheck(Area, CheckStatus.Warn, $"no MTA-STS record at {name} (optional)",
                $"consider publishing one: it lets senders insist on TLS to your MX; also serve the policy at {url}")];
        }
        if (!StsTxtRecord.TryGetId(txt.Records, out string? id, out string? recordError))
        {
            return [new DoctorCheck(Area, CheckStatus.Fail, $"the MTA-STS record at {name} is invalid: {recordError}; senders ignore it",
                "publish exactly one \"v=STSv1; id=<1-32 letters or digits>\" TXT record", string.Join(" | ", txt.Records))];
        }

        string body;
        using (var fetcher = new MtaStsFetcher(_dns, MtaSts))
        {
            var (fetched, failure, detail) = await fetcher.FetchAsync(domain, cancellationToken).ConfigureAwait(false);
            if (fetched is null)
            {
                return [new DoctorCheck(Area, CheckStatus.Fail, $"{name} announces a policy, but {url} could not be fetched ({failure}): {detail}",
                    $"serve the policy as text/plain over HTTPS at {url} with a certificate valid for mta-sts.{domain}")];
            }
            body = fetched;
        }
        MtaStsPolicy policy;
        try
        {
            policy = MtaStsPolicy.Parse(domain, id, body, DateTimeOffset.UnixEpoch);
        }
        catch (FormatException ex)
        {
            return [new DoctorCheck(Area, CheckStatus.Fail, $"the policy at {url} is invalid: {ex.Message}",
                "serve \"version: STSv1\", \"mode: enforce|testing|none\", one \"mx:\" line per MX host (or *.domain) and \"max_age:\" in seconds")];
        }

        var mx = await _dns.QueryMxAsync(domain, cancellationToken).ConfigureAwait(false);
        var hosts = mx.Outcome == DnsOutcome.Found ? mx.Records.Where(r => !r.IsNullMx).Select(r => r.Exchange).ToList() : [];
        var uncovered = hosts.Where(h => !policy.MatchesMx(h)).ToList();
        string summary = $"policy id {id}, mode {policy.Mode.ToString().ToLowerInvariant()}, mx {string.Join(", ", policy.MxPatterns)}, max_age {(long)policy.MaxAge.TotalSeconds} s";
        if (uncovered.Count > 0)
        {
            var status = policy.Mode == MtaStsMode.Enforce ? CheckStatus.Fail : CheckStatus.Warn;
            return [new DoctorCheck(Area, status, $"{summary}: MX {string.Join(", ", uncovered)} not covered, so senders that enforce the policy will not use it",
                $"add \"mx: {uncovered[0]}\" (or a matching *. pattern) to {url}, then change the id in {name}", body)];
        }
        return policy.Mode switch
        {
            MtaStsMode.Enforce => [new DoctorCheck(Area, CheckStatus.Pass, summary + $": covers every MX", null, body)],
            MtaStsMode.Testing => [new DoctorCheck(Area, CheckStatus.Warn, summary + ": testing, so senders still fall back to clear text",
                $"once TLS reports show no failures, switch to \"mode: enforce\" and change the id in {name}", body)],
            _ => [new DoctorCheck(Area, CheckStatus.Warn, summary + ": mode none withdraws the policy", "switch to \"mode: testing\" or \"enforce\" to protect your inbound mail", body)],
        };
    }
}
