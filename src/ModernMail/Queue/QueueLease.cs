using System;
using System.Collections.Generic;

namespace ModernMail.Queue;

/// <summary>A message a worker took from the store, with the recipients due for this attempt.</summary>
/// <param name="Id">The queue id.</param>
/// <param name="Sender">The envelope sender; null for bounces.</param>
/// <param name="CreatedAt">When the message was enqueued.</param>
/// <param name="ExpiresAt">When undelivered recipients expire.</param>
/// <param name="Owner">The worker that holds the lease.</param>
/// <param name="LeaseUntil">When the lease runs out unless renewed.</param>
/// <param name="Recipients">The recipients due now (queued, deferred and due, or left delivering by a crashed worker).</param>
public sealed record QueueLease(
    string Id,
    string? Sender,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    string Owner,
    DateTimeOffset LeaseUntil,
    IReadOnlyList<LeasedRecipient> Recipients)
{
    /// <summary>REQUIRETLS (RFC 8689) was asked for when the message was queued.</summary>
    public bool RequireTls { get; init; }

    /// <summary>The W3C traceparent stored with the message (<see cref="QueueEntry.TraceParent"/>), or null.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The sender domain whose suppression list applies (<see cref="QueueEntry.SenderDomain"/>), or null.</summary>
    public string? SenderDomain { get; init; }
}
