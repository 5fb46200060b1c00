using System.Text;

namespace ModernMail.Mime.Internal;

/// <summary>Writes Content-Type / Content-Disposition parameters: token, quoted-string, or RFC 2231 extended values.</summary>
internal static class MimeParameters
{
    // RFC 2045 §5.1 tspecials, which a token cannot hold.
    private const string TSpecials = "()<>@,;:\\\"/[]?=";

    // RFC 2231 §7 attribute-char: token characters except '*', ''' and '%'.
    private const string AttributeChars = "!#$&+-.^_`|~";

    // Keeps each "; name*N*=..." segment within a 78-character line.
    private const int MaxSegmentLength = 60;

    /// <summary>Appends "; name=value" to the field being folded.</summary>
    public static void Append(HeaderFolder folder, string name, string value)
    {
        folder.AppendGlued(";");

        // Star, apostrophe and percent are legal in a token but are RFC 2231's own delimiters, and parsers (Python's
        // email) flag "name=*" as an invalid parameter: such values are quoted.
        if (value.Length > 0 && value.Length <= MaxSegmentLength && IsToken(value) && value.AsSpan().IndexOfAny("*'%") < 0)
        {
            folder.Append(" ", name + "=" + value);
            return;
        }

        // Decoders also decode encoded-words inside quoted parameters ("=?utf-8?q?evil?=.exe" saved as "evil.exe"),
        // so text that looks like one goes RFC 2231-encoded, where '=' and '?' are percent-escaped.
        if (value.Length <= MaxSegmentLength && IsPrintableAscii(value) && !EncodedWords.LooksEncoded(value))
        {
            folder.Append(" ", name + "=" + EncodedWords.Quote(value));
            return;
        }

        // RFC 2231 §4: name*=utf-8''percent-encoded, split into name*0*, name*1*, ... when long (§3),
        // never splitting a UTF-8 sequence between segments.
        var segments = new List<string>();
        var current = new StringBuilder();
        Span<byte> bytes = stackalloc byte[4];
        foreach (Rune rune in value.EnumerateRunes())
        {
            int n = rune.EncodeToUtf8(bytes);
            int cost = n == 1 && IsAttributeChar((char)bytes[0]) ? 1 : n * 3;
            if (current.Length + cost > MaxSegmentLength)
            {
                segments.Add(current.ToString());
                current.Clear();
            }

            foreach (byte b in bytes[..n])
            {
                if (n == 1 && IsAttributeChar((char)b))
                {
                    current.Append((char)b);
                }
                else
                {
                    current.Append('%').Append("0123456789ABCDEF"[b >> 4]).Append("0123456789ABCDEF"[b & 0xF]);
                }
            }
        }

        segments.Add(current.ToString());
        if (segments.Count == 1)
        {
            folder.Append(" ", name + "*=utf-8''" + segments[0]);
            return;
        }

        for (int i = 0; i < segments.Count; i++)
        {
            if (i > 0)
            {
                folder.AppendGlued(";");
            }

            string prefix = i == 0 ? "utf-8''" : "";
            folder.Append(" ", $"{name}*{i}*={prefix}{segments[i]}");
        }
    }

    /// <summary>Whether <paramref name="value"/> is an RFC 2045 token.</summary>
    public static bool IsToken(string value)
    {
        foreach (char c in value)
        {
            if (c is <= ' ' or > '~' || TSpecials.Contains(c, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return value.Length > 0;
    }

    private static bool IsPrintableAscii(string value)
    {
        foreach (char c in value)
        {
            if (c is < ' ' or > '~')
            {
                return false;
            }
        }

        return true;
    }

    private static bool IsAttributeChar(char c) => char.IsAsciiLetterOrDigit(c) || AttributeChars.Contains(c, StringComparison.Ordinal);
}
