using System.Globalization;
using System.Text;

namespace ModernMail.Deliverability.Internal;

/// <summary>The values SPF macros expand to (RFC 7208 §7.2).</summary>
internal sealed record SpfMacroContext(
    string Sender, string LocalPart, string SenderDomain, string Domain, string Ip, string ClientIp, string IpVersion,
    string Helo, string ValidatedName, string ReceivingHost, long Timestamp);

/// <summary>Syntax checks and expansion of SPF macro-strings (RFC 7208 §7).</summary>
internal static class SpfMacro
{
    /// <summary>True when <paramref name="text"/> contains a %{p} macro, which needs PTR lookups before expanding.</summary>
    public static bool UsesValidatedName(string text)
    {
        for (var i = 0; i + 2 < text.Length; i++)
        {
            if (text[i] == '%' && text[i + 1] == '{' && (text[i + 2] is 'p' or 'P'))
            {
                return true;
            }

            if (text[i] == '%')
            {
                i++;
            }
        }

        return false;
    }

    // domain-spec = macro-string domain-end
    // domain-end  = ( "." toplabel [ "." ] ) / macro-expand
    public static bool IsValidDomainSpec(string spec, out string why)
    {
        if (spec.Length == 0)
        {
            why = "empty domain";
            return false;
        }

        if (!IsValidMacroString(spec, allowExplanationLetters: false, out why))
        {
            return false;
        }

        if (spec.EndsWith('}') || EndsWithEscape(spec))
        {
            return true;
        }

        var trimmed = spec.EndsWith('.') ? spec[..^1] : spec;
        var dot = trimmed.LastIndexOf('.');
        if (dot < 0 || !IsTopLabel(trimmed[(dot + 1)..]))
        {
            why = $"\"{spec}\" does not end in a valid top-level label";
            return false;
        }

        return true;
    }

    private static bool EndsWithEscape(string spec)
    {
        // "%%", "%_", "%-" are macro-expands too; count the run of '%' before the last char to be sure it is one.
        if (spec.Length < 2 || spec[^1] is not ('%' or '_' or '-'))
        {
            return false;
        }

        var percents = 0;
        for (var i = spec.Length - 2; i >= 0 && spec[i] == '%'; i--)
        {
            percents++;
        }

        return percents % 2 == 1;
    }

    // toplabel = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
    private static bool IsTopLabel(string label)
    {
        if (label.Length == 0)
        {
            return false;
        }

        var hasLetter = false;
        var hasHyphen = false;
        foreach (var c in label)
        {
            if (c == '-')
            {
                hasHyphen = true;
            }
            else if (char.IsAsciiLetter(c))
            {
                hasLetter = true;
            }
            else if (!char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        return hasHyphen ? label[0] != '-' && label[^1] != '-' : hasLetter;
    }

    // macro-string  = *( macro-expand / macro-literal )
    // macro-expand  = ( "%{" macro-letter transformers *delimiter "}" ) / "%%" / "%_" / "%-"
    // macro-literal = %x21-24 / %x26-7E
    // transformers  = *DIGIT [ "r" ] ; delimiter = "." / "-" / "+" / "," / "/" / "_" / "="
    public static bool IsValidMacroString(string text, bool allowExplanationLetters, out string why)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '%')
            {
                if (c is < '!' or > '~' && !(allowExplanationLetters && c == ' '))
                {
                    why = $"character 0x{(int)c:X2} is not allowed";
                    return false;
                }

                continue;
            }

            if (i + 1 >= text.Length)
            {
                why = "a '%' at the end is not a macro";
                return false;
            }

            var next = text[i + 1];
            if (next is '%' or '_' or '-')
            {
                i++;
                continue;
            }

            if (next != '{' || !TryParseMacro(text, i, allowExplanationLetters, out _, out var end))
            {
                why = $"invalid macro at \"{text[i..]}\"";
                return false;
            }

            i = end;
        }

        why = "";
        return true;
    }

    private readonly record struct Macro(char Letter, bool Escape, int Digits, bool Reverse, string Delimiters);

    private static bool TryParseMacro(string text, int start, bool allowExplanationLetters, out Macro macro, out int end)
    {
        macro = default;
        end = text.IndexOf('}', start);
        if (end < 0 || end < start + 3)
        {
            return false;
        }

        var letter = text[start + 2];
        var lower = char.ToLowerInvariant(letter);
        if (lower is not ('s' or 'l' or 'o' or 'd' or 'i' or 'p' or 'h' or 'v') &&
            !(allowExplanationLetters && lower is 'c' or 'r' or 't'))
        {
            return false;
        }

        var i = start + 3;
        var digitsStart = i;
        while (i < end && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        var digits = 0;
        if (i > digitsStart &&
            (!int.TryParse(text.AsSpan(digitsStart, i - digitsStart), NumberStyles.None, CultureInfo.InvariantCulture, out digits) || digits == 0))
        {
            return false; // "If a DIGIT is specified, the value MUST be nonzero."
        }

        var reverse = false;
        if (i < end && text[i] is 'r' or 'R')
        {
            reverse = true;
            i++;
        }

        for (var d = i; d < end; d++)
        {
            if (text[d] is not ('.' or '-' or '+' or ',' or '/' or '_' or '='))
            {
                return false;
            }
        }

        macro = new Macro(lower, char.IsAsciiLetterUpper(letter), digits, reverse, text[i..end]);
        return true;
    }

    /// <summary>Expands a syntactically valid macro-string.</summary>
    public static string Expand(string text, SpfMacroContext context, bool allowExplanationLetters)
    {
        var builder = new StringBuilder(text.Length + 32);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '%')
            {
                builder.Append(c);
                continue;
            }

            switch (text[i + 1])
            {
                case '%': builder.Append('%'); i++; continue;
                case '_': builder.Append(' '); i++; continue;
                case '-': builder.Append("%20"); i++; continue;
            }

            TryParseMacro(text, i, allowExplanationLetters, out var macro, out var end);
            builder.Append(ExpandOne(macro, context));
            i = end;
        }

        return builder.ToString();
    }

    private static string ExpandOne(Macro macro, SpfMacroContext context)
    {
        var value = macro.Letter switch
        {
            's' => context.Sender,
            'l' => context.LocalPart,
            'o' => context.SenderDomain,
            'd' => context.Domain,
            'i' => context.Ip,
            'p' => context.ValidatedName,
            'v' => context.IpVersion,
            'h' => context.Helo,
            'c' => context.ClientIp,
            'r' => context.ReceivingHost,
            _ => context.Timestamp.ToString(CultureInfo.InvariantCulture),
        };

        if (macro.Digits > 0 || macro.Reverse || macro.Delimiters.Length > 0)
        {
            var delimiters = macro.Delimiters.Length > 0 ? macro.Delimiters.ToCharArray() : ['.'];
            var parts = value.Split(delimiters);
            if (macro.Reverse)
            {
                Array.Reverse(parts);
            }

            if (macro.Digits > 0 && macro.Digits < parts.Length)
            {
                parts = parts[^macro.Digits..];
            }

            value = string.Join('.', parts);
        }

        return macro.Escape ? Uri.EscapeDataString(value) : value;
    }

    /// <summary>Shortens an expanded domain over 253 characters by dropping labels on the left (§7.3).</summary>
    public static string TruncateDomain(string domain)
    {
        while (domain.Length > 253)
        {
            var dot = domain.IndexOf('.', StringComparison.Ordinal);
            if (dot < 0)
            {
                break;
            }

            domain = domain[(dot + 1)..];
        }

        return domain;
    }
}
