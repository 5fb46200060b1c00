using System;
using System.Collections.Generic;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace ModernMail.Dkim.Internal;

/// <summary>
/// The one tag=value list parser (RFC 6376 §3.2), for DKIM-Signature fields, DKIM key records and DMARC records
/// (RFC 7489 §6.4 reuses the syntax).
/// </summary>
/// <remarks>
/// Decisions where the RFC leaves room or real records stray:
/// <list type="bullet">
/// <item>Tag names are case-sensitive (§3.2 "Tags MUST be interpreted in a case-sensitive manner"); a duplicate
/// name makes the whole list invalid (§3.2).</item>
/// <item>One trailing ";" is part of the grammar (<c>tag-list = tag-spec *( ";" tag-spec ) [ ";" ]</c>). Empty
/// tag-specs elsewhere (<c>v=DKIM1;;</c>, a leading ";") are outside it, since a tag-spec needs a tag-name; we skip
/// them like Mail::DKIM does, because refusing a key over a stray ";" helps nobody, and report them in
/// <see cref="TagListLayout.HasEmptyTagSpecs"/> so the doctor can warn (dkimpy rejects such records).</item>
/// <item>Unknown tags are kept here and ignored by the callers (§3.2, §3.6.1).</item>
/// </list>
/// </remarks>
internal static class DkimTagList
{
    /// <summary>What the parse saw besides the tags: the first tag's name (v= must come first) and stray empty tag-specs.</summary>
    internal readonly record struct TagListLayout(string? FirstTag, bool HasEmptyTagSpecs);

    public static bool TryParse(string text, [NotNullWhen(true)] out Dictionary<string, string>? tags, [NotNullWhen(false)] out string? error) =>
        TryParse(text, out tags, out _, out error);

    // tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
    // tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
    // tag-name  =  ALPHA *ALNUMPUNC
    public static bool TryParse(
        string text, [NotNullWhen(true)] out Dictionary<string, string>? tags, out TagListLayout layout, [NotNullWhen(false)] out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        tags = new Dictionary<string, string>(StringComparer.Ordinal);
        layout = default;
        string? first = null;
        bool empty = false;
        string[] specs = text.Split(';');
        for (int i = 0; i < specs.Length; i++)
        {
            string spec = specs[i];
            if (IsBlank(spec))
            {
                // The last one is the grammar's optional trailing ";" (or an empty list); any other is a stray empty tag-spec.
                empty |= i < specs.Length - 1;
                continue;
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

            first ??= name;
        }

        layout = new TagListLayout(first, empty);
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
