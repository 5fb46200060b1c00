using System.Globalization;
using System.Net.Mail;

namespace ModernMail.Mime.Internal;

/// <summary>
/// Which characters we refuse where, so that what a reader sees is what the sender wrote: the one owner of
/// these rules for headers (<see cref="MailMessageValidator"/>) and the SMTP envelope (MAIL FROM, RCPT TO).
/// </summary>
internal static class CharacterRules
{
    /// <summary>Why <paramref name="address"/> cannot be written into a header or an SMTP command, or null when it can.</summary>
    /// <remarks>
    /// Refused: control characters (C0, DEL, C1 such as U+0085), Unicode line and paragraph separators, format characters
    /// (bidirectional controls, zero-width characters: a reader would see a different address), broken UTF-16, whitespace
    /// in the domain, and a domain ending in '.' (not a dot-atom, RFC 5322 §3.4.1; RFC 5321 §4.1.2).
    /// </remarks>
    public static string? AddressProblem(MailAddress address)
    {
        string text = address.Address;
        for (int i = 0; i < text.Length; i++)
        {
            if (IsSurrogateBroken(text, i))
            {
                return "An address must be valid Unicode (it has an unpaired surrogate).";
            }

            UnicodeCategory category = char.GetUnicodeCategory(text, i);
            if (category is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator or UnicodeCategory.ParagraphSeparator)
            {
                return $"An address must not contain control, format or line-separator characters ({Describe(text, i)}).";
            }
        }

        string host = address.Host;
        if (!host.StartsWith('[') && host.AsSpan().IndexOfAny(' ', '\t') >= 0)
        {
            return $"The domain '{host}' contains whitespace.";
        }

        if (host.EndsWith('.'))
        {
            return $"The domain '{host}' ends with a dot, which is not a valid domain in an address (RFC 5322 §3.4.1).";
        }

        return null;
    }

    /// <summary>A display name or subject as we write it: each run of TAB and line breaks (CR, LF, VT, FF, NEL, U+2028,
    /// U+2029) becomes one space, every other control character (C0, DEL, C1) is dropped.</summary>
    /// <remarks>Nothing we write may decode to a control character: decoders refuse or mangle them (Python: "address parts
    /// cannot contain CR or LF"), and a terminal may act on them.</remarks>
    public static string ForDisplay(string text)
    {
        int first = 0;
        while (first < text.Length && !IsControl(text[first]) && !IsLineBreak(text[first]))
        {
            first++;
        }

        if (first == text.Length)
        {
            return text;
        }

        var sb = new System.Text.StringBuilder(text.Length).Append(text, 0, first);
        bool inRun = false;
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (c == '\t' || IsLineBreak(c))
            {
                if (!inRun)
                {
                    sb.Append(' ');
                }

                inRun = true;
                continue;
            }

            if (IsControl(c))
            {
                continue; // dropped; does not end a run of breaks
            }

            inRun = false;
            sb.Append(c);
        }

        return sb.ToString();
    }

    /// <summary>Index of the first character refused in a file name or parameter value (controls, line separators, bidirectional controls, broken UTF-16), or -1.</summary>
    public static int IndexOfUnsafeInName(string text) => IndexOfUnsafe(text, allowTab: false);

    /// <summary>Index of the first character refused in a custom header value (as for names, but TAB is folding whitespace), or -1.</summary>
    public static int IndexOfUnsafeInHeaderValue(string text) => IndexOfUnsafe(text, allowTab: true);

    /// <summary>"U+0085 at 3", for error messages (the character itself would be invisible or harmful).</summary>
    public static string Describe(string text, int index) => $"U+{CodePoint(text, index):X4} at index {index}";

    /// <summary>C0, DEL and C1 controls (U+0000–U+001F, U+007F–U+009F).</summary>
    public static bool IsControl(char c) => c < ' ' || c is >= '\u007F' and <= '\u009F';

    /// <summary>Characters a reader treats as a line break: CR, LF, NEL, U+2028, U+2029 (and VT, FF).</summary>
    public static bool IsLineBreak(char c) => c is '\r' or '\n' or '\u000B' or '\u000C' or '\u0085' or '\u2028' or '\u2029';

    /// <summary>Bidirectional formatting controls (UAX #9): they reorder what is displayed, e.g. "evil\u202Etxt.exe".</summary>
    public static bool IsBidiControl(char c) => c is '\u061C' or '\u200E' or '\u200F' or (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069');

    private static int IndexOfUnsafe(string text, bool allowTab)
    {
        for (int i = 0; i < text.Length; i++)
        {
            char c = text[i];
            if ((IsControl(c) && !(allowTab && c == '\t')) || c is '\u2028' or '\u2029' || IsBidiControl(c) || IsSurrogateBroken(text, i))
            {
                return i;
            }
        }

        return -1;
    }

    private static bool IsSurrogateBroken(string text, int i)
    {
        char c = text[i];
        if (char.IsHighSurrogate(c))
        {
            return i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]);
        }

        return char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(text[i - 1]));
    }

    private static int CodePoint(string text, int index)
        => char.IsSurrogatePair(text, index) ? char.ConvertToUtf32(text, index) : text[index];
}
