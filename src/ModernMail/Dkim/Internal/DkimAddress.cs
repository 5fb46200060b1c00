using System;

namespace ModernMail.Dkim.Internal;

/// <summary>Finds the domain of the address in a From field, enough to check alignment with d=.</summary>
internal static class DkimAddress
{
    /// <summary>The domain of the first address in the raw field ("From: Name &lt;a@b.example&gt;"), lowercased, or null.</summary>
    public static string? FindDomain(string rawField)
    {
        int colon = rawField.IndexOf(':', StringComparison.Ordinal);
        string value = rawField[(colon + 1)..];
        int open = value.LastIndexOf('<');
        if (open >= 0)
        {
            int close = value.IndexOf('>', open);
            value = close > open ? value[(open + 1)..close] : value[(open + 1)..];
        }

        int at = value.LastIndexOf('@');
        if (at < 0)
        {
            return null;
        }

        int end = at + 1;
        while (end < value.Length && (char.IsAsciiLetterOrDigit(value[end]) || value[end] is '.' or '-' or '_' || value[end] > 127))
        {
            end++;
        }

        string domain = value[(at + 1)..end].TrimEnd('.');
        return domain.Length == 0 ? null : domain.ToLowerInvariant();
    }
}
