namespace ModernMail.Queue;

/// <summary>Where one recipient of a queued message stands.</summary>
/// <remarks>queued -> delivering -> delivered | deferred (retried later) | bounced | expired; queued -> suppressed when the address is on the suppression list. Delivered, bounced, expired and suppressed are final.</remarks>
public enum RecipientState
{
    /// <summary>Stored, never attempted.</summary>
    Queued = 0,

    /// <summary>A worker holds the message and is delivering to this recipient.</summary>
    Delivering = 1,

    /// <summary>The mail exchanger accepted the message for this recipient.</summary>
    Delivered = 2,

    /// <summary>The last attempt failed transiently; another attempt is scheduled.</summary>
    Deferred = 3,

    /// <summary>The mail exchanger rejected the recipient permanently (5xx); not retried.</summary>
    Bounced = 4,

    /// <summary>Every attempt failed transiently until the message lifetime ran out; not retried.</summary>
    Expired = 5,

    /// <summary>The address is on the suppression list for this sender; never attempted.</summary>
    Suppressed = 6,
}
