using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace ModernMail.Dkim.Internal;

/// <summary>The tag=value list used by DKIM-Signature fields and key records (RFC 6376 §3.2).</summary>
internal static class DkimTagList
{
    // tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
    // tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
    // tag-name  =  ALPHA *ALNUMPUNC
    public static bool TryParse(string text, [NotNullWhen(true)] out Dictionary<string, string>? tags, [NotNullWhen(false)] out string? error)
    {
        tags = new Dictionary<string, string>(StringComparer.Ordinal);
        string[] specs = text.Split(';');
        for (int i = 0; i < specs.Length; i++)
        {
            string spec = specs[i];
            if (IsBlank(spec))
            {
                if (i == specs.Length - 1)
                {
                    break;
                }

                tags = null;
                error = "empty tag in tag list";
                return false;
            }

            int eq = spec.IndexOf('=', StringComparison.Ordinal);
            if (eq < 0)
            {
                tags = null;
                error = $"tag without '=': \"{Shorten(spec.Trim())}\"";
                return false;
            }

            string name = Trim(spec.AsSpan(0, eq)).ToString();
            if (!IsTagName(name))
            {
                tags = null;
                error = $"invalid tag name \"{Shorten(name)}\"";
                return false;
            }

            string value = Trim(spec.AsSpan(eq + 1)).ToString();
            if (!tags.TryAdd(name, value))
            {
                tags = null;
                error = $"duplicate tag \"{name}\"";
                return false;
            }
        }

        error = null;
        return true;
    }

    /// <summary>Removes folding whitespace from a value (b=, bh=, p= base64 and h= lists allow FWS anywhere).</summary>
    public static string RemoveWhitespace(string value)
    {
        if (value.AsSpan().IndexOfAny(" \t\r\n") < 0)
        {
            return value;
        }

        var builder = new StringBuilder(value.Length);
        foreach (char c in value)
        {
            if (c is not (' ' or '\t' or '\r' or '\n'))
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary>
    /// The DKIM-Signature field with the value of its b= tag removed (§3.5 "b=": the value, including all
    /// surrounding whitespace, is treated as the empty string), everything else kept byte for byte.
    /// </summary>
    public static string RemoveSignatureValue(string field)
    {
        int colon = field.IndexOf(':', StringComparison.Ordinal);
        int i = colon + 1;
        while (i < field.Length)
        {
            int semicolon = field.IndexOf(';', i);
            int end = semicolon < 0 ? TrimLineBreak(field) : semicolon;
            int eq = field.IndexOf('=', i);
            if (eq >= 0 && eq < end && Trim(field.AsSpan(i, eq - i)).SequenceEqual("b"))
            {
                return string.Concat(field.AsSpan(0, eq + 1), field.AsSpan(end));
            }

            if (semicolon < 0)
            {
                break;
            }

            i = semicolon + 1;
        }

        return field;
    }

    private static int TrimLineBreak(string field)
    {
        int end = field.Length;
        if (end > 0 && field[end - 1] == '\n')
        {
            end--;
            if (end > 0 && field[end - 1] == '\r')
            {
                end--;
            }
        }

        return end;
    }

    private static ReadOnlySpan<char> Trim(ReadOnlySpan<char> s) => s.Trim(" \t\r\n");

    private static bool IsBlank(string s) => Trim(s).IsEmpty;

    private static bool IsTagName(string name)
    {
        if (name.Length == 0 || !char.IsAsciiLetter(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!char.IsAsciiLetterOrDigit(c) && c != '_')
            {
                return false;
            }
        }

        return true;
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : string.Concat(s.AsSpan(0, 40), "...");
}
