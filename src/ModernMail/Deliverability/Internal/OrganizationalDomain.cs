namespace ModernMail.Deliverability.Internal;

/// <summary>The organizational domain by a simple rule: the last two labels (no Public Suffix List).</summary>
internal static class OrganizationalDomain
{
    public const string RuleDescription = "organizational domain taken as the last two labels (no public suffix list; wrong for e.g. example.co.uk)";

    public static string Of(string domain)
    {
        var name = domain.TrimEnd('.').ToLowerInvariant();
        var last = name.LastIndexOf('.');
        if (last <= 0)
        {
            return name;
        }

        var previous = name.LastIndexOf('.', last - 1);
        return previous < 0 ? name : name[(previous + 1)..];
    }

    /// <summary>DMARC identifier alignment (RFC 7489 §3.1): exact match when strict, same organizational domain when relaxed.</summary>
    public static bool Aligned(string fromDomain, string authenticatedDomain, bool strict) =>
        strict
            ? string.Equals(fromDomain.TrimEnd('.'), authenticatedDomain.TrimEnd('.'), StringComparison.OrdinalIgnoreCase)
            : string.Equals(Of(fromDomain), Of(authenticatedDomain), StringComparison.Ordinal);
}
