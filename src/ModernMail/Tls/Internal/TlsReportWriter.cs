using System.Globalization;
using System.Text.Json;

namespace ModernMail.Tls.Internal;

/// <summary>Writes an RFC 8460 §4.4 aggregate report (JSON) for one policy domain and one UTC day from the stored counts.</summary>
internal static class TlsReportWriter
{
    /// <summary>Writes a JSON array with one report per policy domain that had sessions on <paramref name="day"/> (or only <paramref name="domain"/>'s).</summary>
    /// <param name="json">Where the array goes.</param>
    /// <param name="store">The stored counts.</param>
    /// <param name="day">The UTC day.</param>
    /// <param name="domain">One policy domain, or null for all.</param>
    /// <param name="organization">The reporting organization (our host name).</param>
    /// <param name="contact">How the domain's operators reach us (<c>mailto:postmaster@HOST</c>).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    public static async Task WriteAllAsync(Utf8JsonWriter json, ITlsReportStore store, DateOnly day, string? domain, string organization, string contact,
        CancellationToken cancellationToken)
    {
        var rows = await store.ReadAsync(day, domain, cancellationToken).ConfigureAwait(false);
        json.WriteStartArray();
        foreach (var byDomain in rows.GroupBy(r => r.Outcome.PolicyDomain, StringComparer.Ordinal))
        {
            string id = string.Create(CultureInfo.InvariantCulture, $"{day:yyyy-MM-dd}T00:00:00Z_{byDomain.Key}@{organization}");
            Write(json, organization, contact, id, day, byDomain.ToList());
        }
        json.WriteEndArray();
    }

    public static void Write(Utf8JsonWriter json, string organization, string contact, string reportId, DateOnly day,
        IReadOnlyList<(TlsSessionOutcome Outcome, long Sessions)> rows)
    {
        json.WriteStartObject();
        json.WriteString("organization-name", organization);
        json.WriteStartObject("date-range");
        json.WriteString("start-datetime", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T00:00:00Z");
        json.WriteString("end-datetime", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + "T23:59:59Z");
        json.WriteEndObject();
        json.WriteString("contact-info", contact);
        json.WriteString("report-id", reportId);
        json.WriteStartArray("policies");
        // One entry per applied policy (domain, type and text); its sessions split into successes and failure details.
        foreach (var policy in rows.GroupBy(r => (r.Outcome.PolicyDomain, r.Outcome.PolicyType, Strings: string.Join('\n', r.Outcome.PolicyStrings))))
        {
            var first = policy.First().Outcome;
            json.WriteStartObject();
            json.WriteStartObject("policy");
            json.WriteString("policy-type", first.PolicyType);
            if (first.PolicyStrings.Count > 0)
            {
                json.WriteStartArray("policy-string");
                foreach (string line in first.PolicyStrings)
                {
                    json.WriteStringValue(line);
                }
                json.WriteEndArray();
            }
            json.WriteString("policy-domain", first.PolicyDomain);
            if (first.MxPatterns.Count > 0)
            {
                json.WriteStartArray("mx-host");
                foreach (string mx in first.MxPatterns)
                {
                    json.WriteStringValue(mx);
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
            json.WriteStartObject("summary");
            json.WriteNumber("total-successful-session-count", policy.Where(r => r.Outcome.ResultType is null).Sum(r => r.Sessions));
            json.WriteNumber("total-failure-session-count", policy.Where(r => r.Outcome.ResultType is not null).Sum(r => r.Sessions));
            json.WriteEndObject();
            var failures = policy.Where(r => r.Outcome.ResultType is not null).ToList();
            if (failures.Count > 0)
            {
                json.WriteStartArray("failure-details");
                foreach (var (o, sessions) in failures)
                {
                    json.WriteStartObject();
                    json.WriteString("result-type", o.ResultType);
                    if (o.SendingIp is not null)
                    {
                        json.WriteString("sending-mta-ip", o.SendingIp.ToString());
                    }
                    if (o.ReceivingMx is not null)
                    {
                        json.WriteString("receiving-mx-hostname", o.ReceivingMx);
                    }
                    if (o.ReceivingIp is not null)
                    {
                        json.WriteString("receiving-ip", o.ReceivingIp.ToString());
                    }
                    json.WriteNumber("failed-session-count", sessions);
                    if (o.FailureReason is not null)
                    {
                        json.WriteString("failure-reason-code", o.FailureReason);
                    }
                    json.WriteEndObject();
                }
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
