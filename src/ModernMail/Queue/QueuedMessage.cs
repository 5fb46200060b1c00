using System;
using System.Collections.Generic;

namespace ModernMail.Queue;

/// <summary>The stored status of one queued message and each of its recipients.</summary>
/// <param name="Id">The queue id returned by enqueue.</param>
/// <param name="Sender">The envelope sender; null for the null reverse path (bounces).</param>
/// <param name="Size">The message size in bytes.</param>
/// <param name="CreatedAt">When the message was enqueued.</param>
/// <param name="ExpiresAt">When undelivered recipients expire.</param>
/// <param name="LeaseOwner">The worker currently holding the message, if any.</param>
/// <param name="LeaseUntil">When that worker's lease runs out.</param>
/// <param name="Recipients">Every recipient, in envelope order.</param>
public sealed record QueuedMessage(
    string Id,
    string? Sender,
    long Size,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string? LeaseOwner,
    DateTimeOffset? LeaseUntil,
    IReadOnlyList<QueuedRecipient> Recipients)
{
    /// <summary>True when every recipient is final.</summary>
    public bool IsComplete
    {
        get
        {
            foreach (var recipient in Recipients)
            {
                if (!recipient.IsFinal)
                {
                    return false;
                }
            }
            return true;
        }
    }
}
