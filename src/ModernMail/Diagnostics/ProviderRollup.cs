namespace ModernMail.Diagnostics;

/// <summary>Rolls a mail exchanger host or recipient domain up to one of a few large mailbox providers, so a metric tag
/// has a handful of values instead of one per domain.</summary>
/// <remarks>The MX host decides first (a company domain hosted by Google Workspace is "google"), then the recipient domain;
/// anything else is "other". Never returns the input.</remarks>
internal static class ProviderRollup
{
    public const string Google = "google";
    public const string Outlook = "outlook";
    public const string Yahoo = "yahoo";
    public const string ICloud = "icloud";
    public const string Other = "other";

    /// <summary>The provider of a delivery to <paramref name="domain"/> through <paramref name="mxHost"/> (null when no MX was reached).</summary>
    public static string Of(string? mxHost, string domain)
    {
        if (mxHost is { Length: > 0 } && ByMxHost(TrimDot(mxHost)) is { } byMx)
        {
            return byMx;
        }
        return ByDomain(TrimDot(domain)) ?? Other;
    }

    private static string? ByMxHost(ReadOnlySpan<char> host)
    {
        if (EndsWithLabel(host, "google.com") || EndsWithLabel(host, "googlemail.com"))
        {
            return Google;
        }
        // Exchange Online (*.mail.protection.outlook.com) and consumer Outlook (*.olc.protection.outlook.com).
        if (EndsWithLabel(host, "outlook.com") || EndsWithLabel(host, "hotmail.com"))
        {
            return Outlook;
        }
        // Yahoo and AOL mail share the yahoodns.net exchangers.
        if (EndsWithLabel(host, "yahoodns.net") || EndsWithLabel(host, "yahoo.com"))
        {
            return Yahoo;
        }
        if (EndsWithLabel(host, "icloud.com") || EndsWithLabel(host, "me.com"))
        {
            return ICloud;
        }
        return null;
    }

    private static string? ByDomain(ReadOnlySpan<char> domain)
    {
        if (Is(domain, "gmail.com") || Is(domain, "googlemail.com"))
        {
            return Google;
        }
        if (Is(domain, "outlook.com") || Is(domain, "msn.com") || StartsWithLabel(domain, "hotmail") || StartsWithLabel(domain, "live")
            || StartsWithLabel(domain, "outlook"))
        {
            return Outlook;
        }
        if (StartsWithLabel(domain, "yahoo") || Is(domain, "ymail.com") || Is(domain, "rocketmail.com") || Is(domain, "aol.com"))
        {
            return Yahoo;
        }
        if (Is(domain, "icloud.com") || Is(domain, "me.com") || Is(domain, "mac.com"))
        {
            return ICloud;
        }
        return null;
    }

    private static ReadOnlySpan<char> TrimDot(string name) => name.AsSpan().TrimEnd('.');

    private static bool Is(ReadOnlySpan<char> name, string domain) => name.Equals(domain, StringComparison.OrdinalIgnoreCase);

    /// <summary>"x.google.com" and "google.com" end with the labels "google.com"; "notgoogle.com" does not.</summary>
    private static bool EndsWithLabel(ReadOnlySpan<char> host, string suffix) =>
        host.Equals(suffix, StringComparison.OrdinalIgnoreCase)
        || (host.Length > suffix.Length && host[^(suffix.Length + 1)] == '.' && host.EndsWith(suffix, StringComparison.OrdinalIgnoreCase));

    /// <summary>"hotmail.co.uk" starts with the label "hotmail"; "hotmailer.com" does not.</summary>
    private static bool StartsWithLabel(ReadOnlySpan<char> domain, string label) =>
        domain.Length > label.Length && domain[label.Length] == '.' && domain.StartsWith(label, StringComparison.OrdinalIgnoreCase);
}
