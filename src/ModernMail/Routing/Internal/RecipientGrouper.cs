using System.Globalization;
using System.Net.Mail;
using System.Text;

namespace ModernMail.Routing.Internal;

/// <summary>Groups recipients by domain (case-insensitive, IDN folded to punycode) and builds their wire forms.</summary>
internal static class RecipientGrouper
{
    private static readonly IdnMapping s_idn = new() { AllowUnassigned = false, UseStd3AsciiRules = true };

    /// <summary>Converts a domain to its lower-case ASCII form (RFC 5890 A-labels).</summary>
    /// <exception cref="ArgumentException">The domain is not a valid host name.</exception>
    public static string ToAsciiDomain(string domain)
    {
        ArgumentException.ThrowIfNullOrEmpty(domain);
        string trimmed = domain.TrimEnd('.');
        if (Ascii.IsValid(trimmed))
        {
            return trimmed.ToLowerInvariant();
        }
        lock (s_idn)
        {
            return s_idn.GetAscii(trimmed).ToLowerInvariant();
        }
    }

    /// <summary>Groups <paramref name="recipients"/> by domain, keeping first-seen order of domains.</summary>
    public static List<DomainGroup> Group(IReadOnlyList<MailAddress> recipients)
    {
        ArgumentNullException.ThrowIfNull(recipients);
        var groups = new List<DomainGroup>();
        var byDomain = new Dictionary<string, DomainGroup>(StringComparer.Ordinal);
        for (int i = 0; i < recipients.Count; i++)
        {
            var recipient = recipients[i];
            string domain;
            string? error = null;
            try
            {
                domain = ToAsciiDomain(recipient.Host);
            }
            catch (ArgumentException ex)
            {
                domain = "";
                error = $"invalid recipient domain \"{recipient.Host}\": {ex.Message}";
            }
            string key = error is null ? domain : "\0" + recipient.Host;
            if (!byDomain.TryGetValue(key, out var group))
            {
                group = new DomainGroup(domain, [], [], error);
                byDomain.Add(key, group);
                groups.Add(group);
            }
            group.Recipients.Add(recipient);
            group.Indexes.Add(i);
        }
        return groups;
    }

    /// <summary>The address as it goes into MAIL FROM / RCPT TO: local part "@" ASCII domain.</summary>
    public static string ToWireAddress(MailAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return address.User + "@" + ToAsciiDomain(address.Host);
    }

    /// <summary>True when the local part has non-ASCII characters, which needs SMTPUTF8 (RFC 6531).</summary>
    public static bool NeedsSmtpUtf8(MailAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return !Ascii.IsValid(address.User);
    }

    /// <summary>Throws when an address could smuggle commands onto the wire (CR, LF or NUL).</summary>
    /// <exception cref="ArgumentException">The address contains CR, LF or NUL.</exception>
    public static void Validate(MailAddress address, string paramName)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.Address.AsSpan().IndexOfAny("\r\n\0") >= 0 || address.Host.AsSpan().IndexOfAny("\r\n\0 ") >= 0)
        {
            throw new ArgumentException($"The address \"{address.Address.ReplaceLineEndings(" ").Replace('\0', ' ')}\" contains CR, LF or NUL.", paramName);
        }
    }
}
