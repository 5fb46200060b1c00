using System;
using System.Collections.Generic;

namespace ModernMail.Queue;

/// <summary>The stored status of one recipient of a queued message.</summary>
/// <param name="Index">The recipient's position in the envelope (0-based).</param>
/// <param name="Address">The recipient address (RCPT TO).</param>
/// <param name="State">Where the recipient stands.</param>
/// <param name="Attempts">How many delivery attempts have finished for this recipient.</param>
/// <param name="NextAttemptAt">When the next attempt is due; null once the recipient is final.</param>
/// <param name="LastReply">The server reply or error text of the last attempt, if any.</param>
/// <param name="UpdatedAt">When the state last changed.</param>
public sealed record QueuedRecipient(
    int Index,
    string Address,
    RecipientState State,
    int Attempts,
    DateTimeOffset? NextAttemptAt,
    string? LastReply,
    DateTimeOffset UpdatedAt)
{
    /// <summary>Every finished attempt, oldest first (filled by <see cref="IQueueStore.GetAsync"/>; empty in lists).</summary>
    public IReadOnlyList<QueuedAttempt> History { get; init; } = [];

    /// <summary>True when the recipient will not be attempted again (delivered, bounced, expired or suppressed).</summary>
    public bool IsFinal => State is RecipientState.Delivered or RecipientState.Bounced or RecipientState.Expired or RecipientState.Suppressed;
}
