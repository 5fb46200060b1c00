namespace ModernMail.Mime;

/// <summary>Settings for <see cref="MailMessageWriter"/>.</summary>
public sealed class MailWriterOptions
{
    /// <summary>The sending host's name, used on the right of generated Message-IDs.</summary>
    public string HostName { get; set; } = "localhost";

    /// <summary>The clock for the Date header.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The source of boundaries and Message-IDs; null means a cryptographic generator, a seeded <see cref="System.Random"/> makes output deterministic.</summary>
    /// <remarks><see cref="System.Random"/> is not thread-safe: do not share one between concurrent writes.</remarks>
    public Random? Random { get; set; }

    /// <summary>Whether text bodies and message/rfc822 attachments may be sent as 8bit (only when the server announced 8BITMIME); otherwise output is 7-bit.</summary>
    /// <remarks>A message/rfc822 attachment with 8-bit bytes is refused without it: composite types cannot be base64-encoded (RFC 2045 §6.4).</remarks>
    public bool Allow8Bit { get; set; }
}
