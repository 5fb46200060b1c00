using System;
using ModernMail.Delivery;

namespace ModernMail.Queue;

/// <summary>Describes a recipient's new state after a delivery attempt, raised once the state is stored.</summary>
public sealed class QueueEventArgs : EventArgs
{
    /// <summary>Creates the event data.</summary>
    public QueueEventArgs(string messageId, string recipient, RecipientState state, int attempts, DateTimeOffset? nextAttemptAt, string? detail)
    {
        MessageId = messageId;
        Recipient = recipient;
        State = state;
        Attempts = attempts;
        NextAttemptAt = nextAttemptAt;
        Detail = detail;
    }

    /// <summary>The queue id of the message.</summary>
    public string MessageId { get; }

    /// <summary>The recipient address.</summary>
    public string Recipient { get; }

    /// <summary>The new state: delivered, deferred, bounced or expired.</summary>
    public RecipientState State { get; }

    /// <summary>How many attempts have finished for the recipient.</summary>
    public int Attempts { get; }

    /// <summary>When the next attempt is due (deferred only).</summary>
    public DateTimeOffset? NextAttemptAt { get; }

    /// <summary>The server reply or error text of the attempt.</summary>
    public string? Detail { get; }

    /// <summary>Why the recipient was not delivered (<see cref="BounceCategory.Expired"/> once its lifetime ran out); <see cref="BounceCategory.None"/> when it was.</summary>
    public BounceCategory Category { get; init; }

    /// <summary>The queue id of the delivery status notification stored for this recipient, if one was.</summary>
    public string? BounceId { get; init; }
}
