using System.Net.Mail;

namespace ModernMail.Delivery;

/// <summary>The SMTP envelope of one message: the reverse path (MAIL FROM) and the forward paths (RCPT TO).</summary>
/// <param name="Sender">The envelope sender; null means the null reverse path "&lt;&gt;" used by bounces.</param>
/// <param name="Recipients">The distinct recipients, in the order they were given.</param>
public sealed record Envelope(MailAddress? Sender, IReadOnlyList<MailAddress> Recipients)
{
    /// <summary>REQUIRETLS (RFC 8689): deliver only over TLS that authenticates the server, to servers that advertise
    /// REQUIRETLS (which then keep the requirement on later hops); otherwise the recipients fail permanently (5.7.30).</summary>
    public bool RequireTls { get; init; }
}
