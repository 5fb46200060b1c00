using System;

namespace ModernMail.Queue;

/// <summary>A bounce (or other new message) to store in the same transaction as an attempt's outcomes.</summary>
/// <param name="Entry">The new message's envelope and schedule.</param>
/// <param name="Message">Its raw RFC 5322 bytes.</param>
public sealed record QueuedBounce(QueueEntry Entry, ReadOnlyMemory<byte> Message);
