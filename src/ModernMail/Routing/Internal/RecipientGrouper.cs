using System.Globalization;
using System.Net.Mail;
using System.Text;
using ModernMail.Mime.Internal;

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

    /// <summary>The address as it goes into MAIL FROM / RCPT TO: local part (quoted unless a dot-atom) "@" ASCII domain.</summary>
    public static string ToWireAddress(MailAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        // The local part as the header writes it, so that "bob."@example.test is the same mailbox in both.
        return AddressFormatter.LocalPart(address.User) + "@" + ToAsciiDomain(address.Host);
    }

    /// <summary>True when the local part has non-ASCII characters, which needs SMTPUTF8 (RFC 6531).</summary>
    public static bool NeedsSmtpUtf8(MailAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        return !Ascii.IsValid(address.User);
    }

    /// <summary>Throws when an address cannot go into MAIL FROM / RCPT TO as the reader of the header would see it.</summary>
    /// <remarks>The rules are the header's (<see cref="CharacterRules.AddressProblem"/>): no controls (CR, LF, NUL, C1, ...),
    /// line separators or format characters, no whitespace in the domain, no trailing dot.</remarks>
    /// <exception cref="ArgumentException">The address breaks one of those rules.</exception>
    public static void Validate(MailAddress address, string paramName)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (CharacterRules.AddressProblem(address) is { } problem)
        {
            throw new ArgumentException($"The address \"{Printable(address.Address)}\" cannot be used: {problem}", paramName);
        }
    }

    // Error text goes to logs and consoles: show invisible or control characters as escapes.
    private static string Printable(string text)
    {
        var sb = new StringBuilder(text.Length);
        foreach (char c in text)
        {
            if (char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate)
            {
                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
