using System;

namespace ModernMail.Dkim.Internal;

/// <summary>Checks signing domains and selectors before they end up in a DNS name or a signature.</summary>
internal static class DkimNames
{
    /// <summary>Validates a domain (d=) or selector (s=) as dot-separated LDH labels (RFC 6376 §3.1, §3.5).</summary>
    /// <exception cref="DkimException">The name is empty or not a valid DNS name.</exception>
    public static string Validate(string? name, string what)
    {
        if (string.IsNullOrWhiteSpace(name))
        {
            throw new DkimException($"The DKIM {what} is empty.");
        }

        string trimmed = name.Trim().TrimEnd('.');
        if (!IsValid(trimmed))
        {
            throw new DkimException($"The DKIM {what} \"{name}\" is not a valid DNS name (letters, digits and hyphens in dot-separated labels of 1-63 characters; use the A-label form of internationalized names).");
        }

        return trimmed;
    }

    public static bool IsValid(string name)
    {
        if (name.Length is 0 or > 253)
        {
            return false;
        }

        foreach (string label in name.Split('.'))
        {
            if (label.Length is 0 or > 63 || label[0] == '-' || label[^1] == '-')
            {
                return false;
            }

            foreach (char c in label)
            {
                if (!char.IsAsciiLetterOrDigit(c) && c != '-' && c != '_')
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Whether <paramref name="domain"/> is <paramref name="parent"/> or one of its subdomains (case-insensitive).</summary>
    public static bool IsSameOrSubdomain(string domain, string parent) =>
        domain.Equals(parent, StringComparison.OrdinalIgnoreCase) ||
        (domain.Length > parent.Length + 1 &&
         domain.EndsWith(parent, StringComparison.OrdinalIgnoreCase) &&
         domain[domain.Length - parent.Length - 1] == '.');
}
