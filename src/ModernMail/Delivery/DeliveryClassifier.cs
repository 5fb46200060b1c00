using ModernMail.Delivery.Internal;
using ModernMail.Smtp;

namespace ModernMail.Delivery;

/// <summary>Turns a server reply, or a failure without one, into the delivery decision every front door shares:
/// delivered, transient (retry) or permanent (bounce), and a <see cref="BounceCategory"/>.</summary>
/// <remarks>
/// <para>The rules are data: <c>Delivery/bounce-rules.json</c>, embedded in the assembly. Each rule matches on the stage,
/// a reply code prefix, an RFC 3463 enhanced status code pattern and a regular expression on the reply text; the first
/// rule that matches decides. A rule names the category and may override the outcome (only with a stated reason, such as
/// RFC 5321 §4.5.3.1.10 for 552 to RCPT TO). Without an override the reply code decides: 4xx transient, 5xx permanent.</para>
/// <para><see cref="SmtpTransport"/> decides every <see cref="DeliveryResult"/> here, and the queue acts on that result,
/// so <see cref="MailBroker"/> and the queue cannot disagree.</para>
/// </remarks>
public static class DeliveryClassifier
{
    /// <summary>Classifies <paramref name="reply"/>, the answer to the command of <paramref name="stage"/>.</summary>
    /// <remarks>A positive reply is <see cref="DeliveryOutcome.Delivered"/> only as the 250 answer to the final dot
    /// (RFC 5321 §4.3.2); at any other stage it completes nothing and is transient.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="reply"/> is null.</exception>
    public static DeliveryClassification Classify(SmtpStage stage, SmtpReply reply)
    {
        ArgumentNullException.ThrowIfNull(reply);
        if (reply.IsPositive)
        {
            return stage == SmtpStage.FinalDot && reply.Code == 250
                ? new DeliveryClassification(DeliveryOutcome.Delivered, BounceCategory.None)
                : new DeliveryClassification(DeliveryOutcome.Transient, BounceCategory.Other);
        }
        return BounceRuleSet.Default.Classify(stage, reply.Code, reply.Enhanced, reply.Text);
    }

    /// <summary>Classifies a failure no server reply decided (DNS, connection, TLS, a timeout, a limit the server
    /// advertised), described like Postfix does by an RFC 3463 status of our own and a one-line reason.</summary>
    /// <param name="stage">Where the delivery failed.</param>
    /// <param name="status">The status the failure stands for, e.g. 4.4.1 (no answer from host) or 5.1.2 (bad destination
    /// system); its class decides the outcome unless a rule overrides it.</param>
    /// <param name="detail">The reason, matched against the rules' text patterns.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="status"/> is not a failure (class 4 or 5).</exception>
    public static DeliveryClassification Classify(SmtpStage stage, EnhancedStatusCode status, string? detail)
    {
        if (status.Class is not (4 or 5))
        {
            throw new ArgumentOutOfRangeException(nameof(status), status, "A failure status has class 4 or 5.");
        }
        return BounceRuleSet.Default.Classify(stage, 0, status, detail ?? "");
    }
}
