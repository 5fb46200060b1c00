using System.Globalization;
using System.Text;

namespace ModernMail.Tests.Mime;

/// <summary>
/// Text that has broken mail writers and misled readers: controls (C0, C1), Unicode line separators, literal
/// encoded-words, specials, long tokens. Shared by the CsCheck properties and the Python integration test, so both
/// generate the same classes of input; the rules the writer applies are restated here independently.
/// </summary>
public static class HostileText
{
    /// <summary>Pieces that get concatenated into hostile values.</summary>
    public static readonly string[] Pieces =
    [
        "plain", "word", " ", "  ", "\t", "\r\n", "\r", "\n", "\0", "\u0007", "\u001b[31m", "\u007f", "\u0080", "\u0085", "\u009b",
        "\u2028", "\u2029", "\u000b", "\u000c", "\u202e", "\u200b", "\ufeff",
        "=?utf-8?q?admin?=", "=?utf-8?q?evil?=.exe", "=?UTF-8?B?YWRtaW4=?=", "=?", "?=", "=?x?q?", "=?utf-8?q?a_b?= =?utf-8?q?c?=",
        "\"", "\\", "\"quoted\"", "<", ">", "@", ",", ";", ":", "(comment)", "[", "]", "'", "%", "*", "a.b", "..", ".", "-", "_", "=",
        "café", "Grüße", "日本語", "😀", "Zoë \"Z\" Smith", "Doe, John",
        new string('w', 77), new string('x', 200), new string('y', 1200),
    ];

    /// <summary>A value of 1 to <paramref name="maxPieces"/> pieces.</summary>
    public static string Make(Random random, int maxPieces = 6)
    {
        var sb = new StringBuilder();
        int count = random.Next(1, maxPieces + 1);
        for (int i = 0; i < count; i++)
        {
            sb.Append(Pieces[random.Next(Pieces.Length)]);
        }

        return sb.ToString();
    }

    /// <summary>C0, DEL, C1.</summary>
    public static bool IsControl(char c) => c < ' ' || (c >= '\u007f' && c <= '\u009f');

    /// <summary>Bidirectional formatting controls (UAX #9).</summary>
    public static bool IsBidi(char c) => c is '\u061c' or '\u200e' or '\u200f' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');

    /// <summary>What the writer refuses in file names and parameter values: controls, U+2028/U+2029, bidi controls.</summary>
    public static bool RefusedInName(string text) => text.Any(c => IsControl(c) || c is '\u2028' or '\u2029' || IsBidi(c));

    /// <summary>What the writer refuses in custom header values: as for names, but TAB is allowed.</summary>
    public static bool RefusedInHeaderValue(string text) => text.Any(c => (IsControl(c) && c != '\t') || c is '\u2028' or '\u2029' || IsBidi(c));

    /// <summary>What the writer refuses in addresses: any control, format or line/paragraph separator character.</summary>
    public static bool RefusedInAddress(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (char.GetUnicodeCategory(text, i) is UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.LineSeparator
                or UnicodeCategory.ParagraphSeparator or UnicodeCategory.Surrogate)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// The documented replacement for display names and subjects: each run of TAB, CR, LF, VT, FF, NEL, U+2028, U+2029
    /// becomes one space; other C0, DEL and C1 controls are dropped.
    /// </summary>
    public static string ForDisplay(string text)
    {
        var sb = new StringBuilder();
        bool inRun = false;
        foreach (char c in text)
        {
            if (c is '\t' or '\r' or '\n' or '\v' or '\f' or '\u0085' or '\u2028' or '\u2029')
            {
                if (!inRun)
                {
                    sb.Append(' ');
                }

                inRun = true;
            }
            else if (!IsControl(c))
            {
                sb.Append(c);
                inRun = false;
            }
        }

        return sb.ToString();
    }
}
