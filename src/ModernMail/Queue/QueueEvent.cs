using System;
using ModernMail.Delivery;

namespace ModernMail.Queue;

/// <summary>One recipient state change, stored by the queue in the same transaction as the change itself.</summary>
/// <param name="Id">A unique id for de-duplication by consumers (webhook receivers see it twice at most when a POST is retried).</param>
/// <param name="Type">What happened.</param>
/// <param name="MessageId">The queue id of the message.</param>
/// <param name="Recipient">The recipient address.</param>
/// <param name="At">When it happened.</param>
public sealed record QueueEvent(string Id, QueueEventType Type, string MessageId, string Recipient, DateTimeOffset At)
{
    /// <summary>Where the event stands in commit order: pass it as <see cref="EventQuery.After"/> to read the events that follow.</summary>
    public string Cursor { get; init; } = "";

    /// <summary>The recipient's position in the envelope.</summary>
    public int RecipientIndex { get; init; }

    /// <summary>Why the recipient was not delivered; <see cref="BounceCategory.None"/> for queued and delivered.</summary>
    public BounceCategory Category { get; init; }

    /// <summary>The server reply or error text, or what a report said.</summary>
    public string? Reply { get; init; }

    /// <summary>The mail exchanger that answered, if one was reached.</summary>
    public string? MxHost { get; init; }

    /// <summary>The TLS protocol and cipher of the attempt, or null.</summary>
    public string? Tls { get; init; }

    /// <summary>The sender domain of the message (whose suppression list applies), or null.</summary>
    public string? SenderDomain { get; init; }

    /// <summary>What the submitter attached to the message (a JSON object with "tags" and "metadata"), or null.</summary>
    public string? Annotations { get; init; }
}
