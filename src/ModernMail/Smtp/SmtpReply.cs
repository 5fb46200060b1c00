using System.Collections.Generic;

namespace ModernMail.Smtp;

/// <summary>A complete SMTP reply: the three-digit code, the enhanced status code when the server sent one, and the text lines.</summary>
/// <param name="Code">The reply code (RFC 5321 §4.2).</param>
/// <param name="Enhanced">The RFC 3463 enhanced status code of the first line, if any.</param>
/// <param name="Lines">The text of each line, without the code, the enhanced code or the separator.</param>
public sealed record SmtpReply(int Code, EnhancedStatusCode? Enhanced, IReadOnlyList<string> Lines)
{
    /// <summary>True for 2xx and 3xx replies.</summary>
    public bool IsPositive => Code is >= 200 and < 400;

    /// <summary>True for 4xx replies: try again later.</summary>
    public bool IsTransient => Code is >= 400 and < 500;

    /// <summary>True for 5xx replies: do not retry.</summary>
    public bool IsPermanent => Code is >= 500 and < 600;

    /// <summary>The text lines joined by a space.</summary>
    public string Text => string.Join(' ', Lines);

    /// <inheritdoc />
    public override string ToString() => Enhanced is { } e ? $"{Code} {e} {Text}" : $"{Code} {Text}";
}
