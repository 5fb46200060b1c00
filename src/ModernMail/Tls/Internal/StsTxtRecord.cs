using System.Diagnostics.CodeAnalysis;
using ModernMail.Dkim.Internal;

namespace ModernMail.Tls.Internal;

/// <summary>The <c>_mta-sts</c> TXT record (RFC 8461 §3.1): <c>v=STSv1; id=...</c>.</summary>
/// <remarks>The same tag=value grammar as DKIM and DMARC records, so it goes through the one tag-list parser; v= must come first.</remarks>
internal static class StsTxtRecord
{
    /// <summary>Finds the one STSv1 record among a name's TXT strings and returns its id.</summary>
    /// <returns>False when there is none, several (§3.1: "senders MUST assume no policy"), or it is malformed; <paramref name="error"/> says which.</returns>
    public static bool TryGetId(IReadOnlyList<string> txt, [NotNullWhen(true)] out string? id, [NotNullWhen(false)] out string? error)
    {
        id = null;
        var candidates = txt.Where(t => t.StartsWith("v=STSv1", StringComparison.Ordinal)).ToList();
        if (candidates.Count != 1)
        {
            error = candidates.Count == 0 ? "no v=STSv1 TXT record" : $"{candidates.Count} v=STSv1 TXT records (exactly one is allowed)";
            return false;
        }
        if (!DkimTagList.TryParse(candidates[0], out var tags, out var layout, out error))
        {
            return false;
        }
        if (layout.FirstTag != "v" || tags["v"] != "STSv1")
        {
            error = "the record does not start with v=STSv1";
            return false;
        }
        // sts-id = 1*32(ALPHA / DIGIT)
        if (!tags.TryGetValue("id", out string? value) || value.Length is 0 or > 32 || !value.All(char.IsAsciiLetterOrDigit))
        {
            error = "the record's id is missing or not 1 to 32 letters and digits";
            return false;
        }
        id = value;
        return true;
    }
}
