using MimeKit;
using ModernMail.Delivery;
using ModernMail.Queue;
using ModernMail.Smtp;
using ModernMail.Smtp.Internal;

namespace ModernMail.Server.Bounces;

/// <summary>What an inbound report says about the one recipient of a copy: a failed delivery (RFC 3464 DSN) or a complaint
/// (RFC 5965 ARF). MimeKit parses the MIME; our one classifier gives a bounce its category.</summary>
internal sealed record FeedbackReport(QueueEventType Type, BounceCategory Category, string Detail)
{
    /// <summary>The report in <paramref name="message"/>; null for anything else (a delay notice, a success DSN, an auto-reply).</summary>
    public static FeedbackReport? Read(MimeMessage message)
    {
        if (message.Body is not MultipartReport report)
        {
            return null;
        }
        if (report.OfType<MessageFeedbackReport>().FirstOrDefault() is { } feedback)
        {
            // RFC 5965 §3.1: Feedback-Type is required; "abuse" is the complaint of a user pressing "this is spam".
            string type = feedback.Fields["Feedback-Type"]?.Trim() ?? "abuse";
            string agent = feedback.Fields["User-Agent"]?.Trim() ?? "";
            return new FeedbackReport(QueueEventType.Complained, BounceCategory.None, $"feedback report: {type} {agent}".Trim());
        }
        if (report.OfType<MessageDeliveryStatus>().FirstOrDefault() is not { } status)
        {
            return null;
        }
        // Group 0 is about the message; the others are one per recipient. A copy has one recipient: the first failed group decides.
        foreach (var group in status.StatusGroups.Skip(1))
        {
            if (!string.Equals(group["Action"]?.Trim(), "failed", StringComparison.OrdinalIgnoreCase))
            {
                continue;
            }
            string code = group["Status"]?.Trim() ?? "";
            string diagnostic = group["Diagnostic-Code"]?.Trim() ?? "";
            return new FeedbackReport(QueueEventType.Bounced, Classify(code, diagnostic), $"DSN {code} {diagnostic}".Trim());
        }
        return null;
    }

    /// <summary>"smtp; 550 5.1.1 ..." in Diagnostic-Code is the receiver's own reply, the best evidence; else the Status code.</summary>
    private static BounceCategory Classify(string status, string diagnostic)
    {
        int semicolon = diagnostic.IndexOf(';', StringComparison.Ordinal);
        string text = semicolon >= 0 && diagnostic[..semicolon].Trim().Equals("smtp", StringComparison.OrdinalIgnoreCase)
            ? diagnostic[(semicolon + 1)..].Trim()
            : diagnostic;
        if (text.Length > 4 && text[3] == '-')
        {
            // A multi-line reply unfolded into one field ("550-5.1.1 ... 550-5.1.1 ... 550 5.1.1 ..."): read it as one line.
            text = string.Concat(text.AsSpan(0, 3), " ", text.AsSpan(4));
        }
        // The reply grammar has one parser: the SMTP client's.
        var line = new System.Buffers.ReadOnlySequence<byte>(System.Text.Encoding.UTF8.GetBytes(text + "\r\n"));
        if (SmtpReplyParser.TryParse(line, out _, out SmtpReply? reply, out _) == System.Buffers.OperationStatus.Done && reply is { IsPositive: false })
        {
            return DeliveryClassifier.Classify(SmtpStage.RcptTo, reply).Category;
        }
        return EnhancedStatusCode.TryParse(status, out var code) && code is { Class: 4 or 5 } failure
            ? DeliveryClassifier.Classify(SmtpStage.RcptTo, failure, text).Category
            : BounceCategory.Other;
    }
}
