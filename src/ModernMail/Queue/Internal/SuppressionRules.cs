using ModernMail.Delivery;

namespace ModernMail.Queue.Internal;

/// <summary>The one rule for which outcomes put an address on the suppression list.</summary>
/// <remarks>Only failures that say the address itself is bad suppress it: a rate limit, a reputation block or a full mailbox is
/// about the sender or the moment, and suppressing a good address for those is the error receivers' replies are built to avoid.</remarks>
internal static class SuppressionRules
{
    public static SuppressionReason? ReasonFor(QueueEventType type, BounceCategory category) => type switch
    {
        QueueEventType.Unsubscribed => SuppressionReason.Unsubscribe,
        QueueEventType.Complained => SuppressionReason.Complaint,
        QueueEventType.Bounced when category is BounceCategory.InvalidRecipient or BounceCategory.BadDomain => SuppressionReason.HardBounce,
        _ => null,
    };
}
