using System;

namespace ModernMail.Smtp;

/// <summary>Per-stage SMTP client timeouts; the defaults are RFC 5321 §4.5.3.2's.</summary>
public sealed class SmtpTimeouts
{
    /// <summary>Establishing the TCP connection.</summary>
    public TimeSpan Connect { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Waiting for the 220 greeting.</summary>
    public TimeSpan Greeting { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>EHLO, HELO, STARTTLS, RSET, QUIT replies and the TLS handshake.</summary>
    public TimeSpan Command { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The reply to MAIL FROM.</summary>
    public TimeSpan MailFrom { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The reply to each RCPT TO.</summary>
    public TimeSpan RcptTo { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>The 354 reply to DATA.</summary>
    public TimeSpan DataInitiation { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Each write of message data.</summary>
    public TimeSpan DataBlock { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>The reply to the final "." of DATA.</summary>
    public TimeSpan DataTermination { get; set; } = TimeSpan.FromMinutes(10);
}
