using ModernMail.Delivery.Internal;

namespace ModernMail.Smtp.Internal;

/// <summary>One SMTP mail transaction and, as it runs, what the server answered.</summary>
/// <param name="reversePath">The envelope sender address, or "" for the null reverse path.</param>
/// <param name="recipients">The forward paths, one RCPT TO each.</param>
/// <param name="message">The message bytes (not dot-stuffed).</param>
internal sealed class MailTransaction(string reversePath, IReadOnlyList<string> recipients, MessageSource message)
{
    public string ReversePath { get; } = reversePath;

    public IReadOnlyList<string> Recipients { get; } = recipients;

    public MessageSource Message { get; } = message;

    /// <summary>Ask for SMTPUTF8 (RFC 6531) on MAIL FROM.</summary>
    public bool SmtpUtf8 { get; init; }

    /// <summary>Ask for REQUIRETLS (RFC 8689) on MAIL FROM.</summary>
    public bool RequireTls { get; init; }

    /// <summary>The reply to MAIL FROM, once read.</summary>
    public SmtpReply? MailReply { get; set; }

    /// <summary>The reply to each RCPT TO, once read (null until then).</summary>
    public SmtpReply?[] RcptReplies { get; } = new SmtpReply?[recipients.Count];

    /// <summary>The reply to DATA (354 or a failure), once read.</summary>
    public SmtpReply? DataReply { get; set; }

    /// <summary>The reply to the final ".", once read.</summary>
    public SmtpReply? FinalReply { get; set; }

    /// <summary>Drops every reply read so far, when they can no longer be trusted to answer the commands they follow.</summary>
    public void ForgetReplies()
    {
        MailReply = null;
        Array.Clear(RcptReplies);
        DataReply = null;
        FinalReply = null;
    }

    /// <summary>True when <paramref name="index"/>'s RCPT TO was accepted.</summary>
    public bool IsAccepted(int index) => RcptReplies[index] is { IsPositive: true };
}
