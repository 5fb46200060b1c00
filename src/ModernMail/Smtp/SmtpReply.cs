using System.Collections.Generic;
using ModernMail.Internal;

namespace ModernMail.Smtp;

/// <summary>A complete SMTP reply: the three-digit code, the enhanced status code when the server sent one, and the text lines.</summary>
/// <remarks>The text comes from a server that may be hostile: <see cref="Lines"/>, <see cref="Text"/> and
/// <see cref="ToString"/> show control characters (NUL, ESC, other C0 and C1 controls, DEL) as <c>\xNN</c> and
/// Unicode format and line controls (bidi overrides, zero-width characters, U+2028, U+2029) as <c>\u{XXXX}</c>, so they
/// are safe to print and store. <see cref="RawBytes"/> keeps what the server really sent.</remarks>
/// <param name="Code">The reply code (RFC 5321 §4.2).</param>
/// <param name="Enhanced">The RFC 3463 enhanced status code of the first line, if any.</param>
/// <param name="Lines">The text of each line, without the code, the enhanced code or the separator.</param>
public sealed record SmtpReply(int Code, EnhancedStatusCode? Enhanced, IReadOnlyList<string> Lines)
{
    /// <summary>The text of each line, without the code, the enhanced code or the separator, with control and format characters escaped.</summary>
    public IReadOnlyList<string> Lines { get; } = EscapeLines(Lines);

    /// <summary>The reply exactly as it was received, every line with its code and line end; empty for a reply not read
    /// from a server.</summary>
    /// <remarks>Unescaped, possibly invalid UTF-8: decode and sanitise it before showing it to anyone.</remarks>
    public ReadOnlyMemory<byte> RawBytes { get; init; }

    /// <summary>True for 2xx and 3xx replies.</summary>
    public bool IsPositive => Code is >= 200 and < 400;

    /// <summary>True for 4xx replies: try again later.</summary>
    public bool IsTransient => Code is >= 400 and < 500;

    /// <summary>True for 5xx replies: do not retry.</summary>
    public bool IsPermanent => Code is >= 500 and < 600;

    /// <summary>The text lines joined by a space (escaped, like <see cref="Lines"/>).</summary>
    public string Text => string.Join(' ', Lines);

    /// <inheritdoc />
    public override string ToString() => Enhanced is { } e ? $"{Code} {e} {Text}" : $"{Code} {Text}";

    private static string[] EscapeLines(IReadOnlyList<string> lines)
    {
        ArgumentNullException.ThrowIfNull(lines);
        // A copy, so that a caller's list changed later cannot put unescaped text back.
        var escaped = new string[lines.Count];
        for (int i = 0; i < escaped.Length; i++)
        {
            escaped[i] = SafeText.Escape(lines[i] ?? "");
        }
        return escaped;
    }
}
