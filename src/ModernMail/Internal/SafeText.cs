using System.Buffers;
using System.Globalization;
using System.Text;

namespace ModernMail.Internal;

/// <summary>The one owner of making text from a peer safe to print, log or store: control and invisible
/// format characters become visible escapes, so a hostile server cannot write terminal escapes, fake line
/// breaks or reordered (bidi) text into a console, a log or a bounce.</summary>
/// <remarks>C0 controls, DEL and C1 controls become <c>\xNN</c>; Unicode format characters (bidi overrides and
/// isolates, zero-width characters, BOM), U+2028, U+2029 and lone surrogates become <c>\u{XXXX}</c>. Everything else,
/// non-ASCII letters included, is kept. Escaping is idempotent: escaped text has nothing left to escape.</remarks>
internal static class SafeText
{
    private static readonly Encoding s_utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: false);

    /// <summary>Returns <paramref name="text"/> with unsafe characters escaped; the same instance when there are none.</summary>
    public static string Escape(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var span = text.AsSpan();
        // Printable ASCII is by far the common case: no scan by rune, no allocation.
        int first = span.IndexOfAnyExceptInRange(' ', '~');
        if (first < 0)
        {
            return text;
        }
        StringBuilder? escaped = null;
        int i = first;
        int copied = 0;
        while (i < span.Length)
        {
            int used;
            string? escape;
            if (Rune.DecodeFromUtf16(span[i..], out Rune rune, out used) != OperationStatus.Done)
            {
                // A lone surrogate: never valid text, and some terminals and parsers choke on it.
                used = 1;
                escape = Hex(span[i]);
            }
            else
            {
                escape = EscapeOf(rune);
            }
            if (escape is not null)
            {
                escaped ??= new StringBuilder(text.Length + 16);
                escaped.Append(span[copied..i]).Append(escape);
                copied = i + used;
            }
            i += used;
        }
        if (escaped is null)
        {
            return text;
        }
        return escaped.Append(span[copied..]).ToString();
    }

    /// <summary>Decodes UTF-8 (invalid bytes become U+FFFD) and escapes the result.</summary>
    public static string Escape(ReadOnlySpan<byte> utf8) => Escape(s_utf8.GetString(utf8));

    /// <summary>Escapes at most the first <paramref name="maxBytes"/> bytes of <paramref name="utf8"/>, marking a cut with "...".</summary>
    public static string Excerpt(ReadOnlySpan<byte> utf8, int maxBytes)
    {
        bool cut = utf8.Length > maxBytes;
        string text = Escape(cut ? utf8[..maxBytes] : utf8);
        return cut ? text + "..." : text;
    }

    private static string? EscapeOf(Rune rune)
    {
        switch (Rune.GetUnicodeCategory(rune))
        {
            case UnicodeCategory.Control:
                // C0, DEL and C1: NUL truncates C strings, ESC and CSI (U+009B) start terminal sequences, CR/LF/NEL fake lines.
                return "\\x" + rune.Value.ToString("X2", CultureInfo.InvariantCulture);
            case UnicodeCategory.Format:
            case UnicodeCategory.LineSeparator:
            case UnicodeCategory.ParagraphSeparator:
                // Bidi overrides reorder what a reader sees; U+2028/U+2029 break lines in some viewers.
                return Hex(rune.Value);
            default:
                return null;
        }
    }

    private static string Hex(int value) => "\\u{" + value.ToString("X4", CultureInfo.InvariantCulture) + "}";
}
