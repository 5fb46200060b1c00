using System.Globalization;
using System.Net.Mail;
using System.Text;

namespace ModernMail.Mime.Internal;

/// <summary>Writes RFC 5322 mailbox lists: display names as phrases, addr-specs with IDNA domains.</summary>
internal static class AddressFormatter
{
    private static readonly IdnMapping s_idn = new();

    /// <summary>Writes a whole address-list field such as To or Cc; errors name "To[i]" when <paramref name="indexed"/>, else "From".</summary>
    public static void AppendField(HeaderFolder folder, string name, IEnumerable<MailAddress> addresses, bool indexed)
    {
        folder.Begin(name);
        int index = 0;
        foreach (MailAddress address in addresses)
        {
            if (index > 0)
            {
                folder.AppendGlued(",");
            }

            folder.ErrorField = indexed ? $"{name}[{index}]" : name;
            index++;
            string spec = AddrSpec(address, name);
            string displayName = CharacterRules.ForDisplay(address.DisplayName);
            if (displayName.Length == 0)
            {
                folder.Append(" ", spec);
            }
            else
            {
                EncodedWords.AppendPhrase(folder, displayName);
                folder.Append(" ", "<" + spec + ">");
            }
        }

        folder.End();
    }

    /// <summary>Returns the addr-spec: the local part as a dot-atom or quoted-string, the domain as A-labels.</summary>
    /// <remarks>A non-ASCII local part stays UTF-8 (RFC 6532) and needs SMTPUTF8; see <see cref="MailMessageValidator.RequiresSmtpUtf8"/>.</remarks>
    /// <exception cref="MailMessageFormatException">The domain is not a valid internationalized domain name.</exception>
    public static string AddrSpec(MailAddress address, string field) => LocalPart(address.User) + "@" + Domain(address.Host, field);

    /// <summary>The local part as written in headers and in MAIL FROM / RCPT TO: a dot-atom as is, anything else quoted (RFC 5322 §3.4.1, RFC 5321 §4.1.2).</summary>
    public static string LocalPart(string user) => user.StartsWith('"') || IsDotAtom(user) ? user : EncodedWords.Quote(user);

    /// <summary>Returns <paramref name="host"/> in ASCII (RFC 5890 A-labels); domain literals unchanged.</summary>
    public static string Domain(string host, string field)
    {
        if (host.StartsWith('[') || Ascii.IsValid(host))
        {
            return host;
        }

        try
        {
            return s_idn.GetAscii(host);
        }
        catch (ArgumentException e)
        {
            throw new MailMessageFormatException(field, $"'{host}' is not a valid domain name.", e);
        }
    }

    // RFC 5322 dot-atom, extended by RFC 6532 to UTF-8 characters.
    private static bool IsDotAtom(string text)
    {
        if (text.Length == 0 || text[0] == '.' || text[^1] == '.' || text.Contains("..", StringComparison.Ordinal))
        {
            return false;
        }

        foreach (char c in text)
        {
            if (c != '.' && c < 128 && !EncodedWords.IsAText(c))
            {
                return false;
            }
        }

        return true;
    }
}
