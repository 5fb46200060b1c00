using System.Diagnostics.CodeAnalysis;
using ModernMail.Dkim.Internal;

namespace ModernMail.Deliverability.Internal;

/// <summary>A DMARC policy record (RFC 7489 §6.3).</summary>
internal sealed class DmarcRecord
{
    public required string Policy { get; init; }

    public string? SubdomainPolicy { get; init; }

    public bool StrictDkim { get; init; }

    public bool StrictSpf { get; init; }

    public int Percent { get; init; } = 100;

    public string? AggregateReports { get; init; }

    public static bool IsDmarcRecord(string text) => text.TrimStart().StartsWith("v=DMARC1", StringComparison.Ordinal);

    // dmarc-record = dmarc-version dmarc-sep [dmarc-request] [dmarc-sep dmarc-srequest] ...
    public static bool TryParse(string text, [NotNullWhen(true)] out DmarcRecord? record, [NotNullWhen(false)] out string? error)
    {
        record = null;
        // RFC 7489 §6.4: DMARC records use DKIM's tag-value syntax, so they share its parser.
        if (!DkimTagList.TryParse(text, out var tags, out var layout, out error))
        {
            return false;
        }

        if (layout.FirstTag != "v" || tags["v"] != "DMARC1")
        {
            error = "the record must start with v=DMARC1";
            return false;
        }

        var policy = tags.GetValueOrDefault("p");
        if (policy is null)
        {
            error = "the p= tag (the policy) is missing";
            return false;
        }

        if (policy is not ("none" or "quarantine" or "reject"))
        {
            error = $"p={policy} is not a known policy (none, quarantine, reject)";
            return false;
        }

        var subdomain = tags.GetValueOrDefault("sp");
        if (subdomain is not null and not ("none" or "quarantine" or "reject"))
        {
            error = $"sp={subdomain} is not a known policy (none, quarantine, reject)";
            return false;
        }

        if (!TryAlignment(tags, "adkim", out var strictDkim, out var alignmentError) || !TryAlignment(tags, "aspf", out var strictSpf, out alignmentError))
        {
            error = alignmentError;
            return false;
        }

        var percent = 100;
        var pct = tags.GetValueOrDefault("pct");
        if (pct is not null && (!int.TryParse(pct, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out percent) || percent > 100))
        {
            error = $"pct={pct} is not a number from 0 to 100";
            return false;
        }

        record = new DmarcRecord
        {
            Policy = policy,
            SubdomainPolicy = subdomain,
            StrictDkim = strictDkim,
            StrictSpf = strictSpf,
            Percent = percent,
            AggregateReports = tags.GetValueOrDefault("rua"),
        };
        return true;
    }

    private static bool TryAlignment(Dictionary<string, string> tags, string name, out bool strict, [NotNullWhen(false)] out string? error)
    {
        var value = tags.GetValueOrDefault(name);
        strict = value == "s";
        error = value is null or "r" or "s" ? null : $"{name}={value} is not r or s";
        return error is null;
    }
}
