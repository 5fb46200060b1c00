using System;
using ModernMail.Delivery;

namespace ModernMail.Queue;

/// <summary>What a store records about a new message besides its bytes.</summary>
/// <param name="Id">The queue id (unique, chosen by the caller).</param>
/// <param name="Envelope">The envelope sender and recipients.</param>
/// <param name="CreatedAt">When the message was enqueued; it is first due then.</param>
/// <param name="ExpiresAt">When undelivered recipients expire.</param>
public sealed record QueueEntry(string Id, Envelope Envelope, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);
