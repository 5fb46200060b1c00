using System;
using ModernMail.Delivery;

namespace ModernMail.Queue;

/// <summary>What a recipient or their provider told us after delivery: an unsubscribe, a complaint, or a late bounce (DSN).</summary>
/// <param name="MessageId">The queue id of the message it is about.</param>
/// <param name="RecipientIndex">The recipient's position in that message's envelope.</param>
/// <param name="Type"><see cref="QueueEventType.Unsubscribed"/>, <see cref="QueueEventType.Complained"/> or <see cref="QueueEventType.Bounced"/>.</param>
/// <param name="At">When it arrived.</param>
public sealed record RecipientFeedback(string MessageId, int RecipientIndex, QueueEventType Type, DateTimeOffset At)
{
    /// <summary>The bounce category of a late bounce.</summary>
    public BounceCategory Category { get; init; }

    /// <summary>The report's status or diagnostic text.</summary>
    public string? Detail { get; init; }
}
