using System;

namespace ModernMail.Queue;

/// <summary>The queue store failed: disk full, database locked or corrupt, server unreachable. Nothing was stored or changed.</summary>
public sealed class QueueStoreException : ModernMailException
{
    /// <summary>Creates an exception with no message.</summary>
    public QueueStoreException() { }

    /// <summary>Creates an exception with a message.</summary>
    public QueueStoreException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and its cause.</summary>
    public QueueStoreException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>True when trying again later may succeed (locked database, lost connection); false for corruption.</summary>
    public bool IsTransient { get; init; }
}
