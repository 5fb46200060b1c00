using System;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace ModernMail.Smtp;

/// <summary>An RFC 3463 enhanced status code (class.subject.detail), as sent by servers that advertise ENHANCEDSTATUSCODES (RFC 2034).</summary>
/// <param name="Class">2 success, 4 persistent transient failure, 5 permanent failure.</param>
/// <param name="Subject">The subject (0-999).</param>
/// <param name="Detail">The detail (0-999).</param>
public readonly record struct EnhancedStatusCode(int Class, int Subject, int Detail)
{
    /// <summary>Parses "c.s.d" at the start of <paramref name="text"/>; returns false when it is not an enhanced status code.</summary>
    public static bool TryParse(ReadOnlySpan<char> text, out EnhancedStatusCode code, out int length)
    {
        // status-code = class "." subject "." detail ; class = "2"/"4"/"5"; subject/detail = 1*3digit
        code = default;
        length = 0;
        if (text.Length < 5 || text[0] is not ('2' or '4' or '5') || text[1] != '.')
        {
            return false;
        }
        int i = 2;
        if (!TryDigits(text, ref i, out int subject) || i >= text.Length || text[i] != '.')
        {
            return false;
        }
        i++;
        if (!TryDigits(text, ref i, out int detail))
        {
            return false;
        }
        if (i < text.Length && text[i] != ' ')
        {
            return false;
        }
        code = new EnhancedStatusCode(text[0] - '0', subject, detail);
        length = i;
        return true;
    }

    /// <summary>Parses "c.s.d"; returns false when the whole string is not an enhanced status code.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out EnhancedStatusCode? code)
    {
        code = null;
        if (text is null || !TryParse(text.AsSpan(), out var parsed, out int length) || length != text.Length)
        {
            return false;
        }
        code = parsed;
        return true;
    }

    private static bool TryDigits(ReadOnlySpan<char> text, ref int i, out int value)
    {
        value = 0;
        int start = i;
        while (i < text.Length && i - start < 3 && char.IsAsciiDigit(text[i]))
        {
            value = (value * 10) + (text[i] - '0');
            i++;
        }
        return i > start && (i >= text.Length || !char.IsAsciiDigit(text[i]));
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Class}.{Subject}.{Detail}");
}
