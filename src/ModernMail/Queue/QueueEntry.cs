using System;
using ModernMail.Delivery;

namespace ModernMail.Queue;

/// <summary>What a store records about a new message besides its bytes.</summary>
/// <param name="Id">The queue id (unique, chosen by the caller).</param>
/// <param name="Envelope">The envelope sender and recipients.</param>
/// <param name="CreatedAt">When the message was enqueued; it is first due then.</param>
/// <param name="ExpiresAt">When undelivered recipients expire.</param>
public sealed record QueueEntry(string Id, Envelope Envelope, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt)
{
    /// <summary>The sender domain whose suppression list applies (lower case); null for the envelope sender's domain.</summary>
    public string? SenderDomain { get; init; }

    /// <summary>What the submitter attached (a JSON object with "tags" and "metadata"), copied into every event; null for none.</summary>
    public string? Annotations { get; init; }

    /// <summary>The W3C traceparent of the submission, so delivery attempts join its trace; null for none.</summary>
    public string? TraceParent { get; init; }

    /// <summary>The suppression scope of this message: <see cref="SenderDomain"/>, else the envelope sender's domain, else null.</summary>
    internal string? SuppressionScope => (SenderDomain ?? Envelope.Sender?.Host)?.TrimEnd('.').ToLowerInvariant();
}
