namespace ModernMail.Queue;

/// <summary>What happened to one recipient of a queued message, as the event stream records it.</summary>
public enum QueueEventType
{
    /// <summary>The message was stored for this recipient.</summary>
    Queued = 0,

    /// <summary>The recipient's mail exchanger accepted the message.</summary>
    Delivered = 1,

    /// <summary>An attempt failed transiently; another is scheduled.</summary>
    Deferred = 2,

    /// <summary>The recipient was rejected permanently, at delivery or later by a delivery status notification.</summary>
    Bounced = 3,

    /// <summary>The message lifetime ran out before a delivery.</summary>
    Expired = 4,

    /// <summary>The address is on the suppression list; no attempt was or will be made.</summary>
    Suppressed = 5,

    /// <summary>The recipient used the message's one-click unsubscribe link.</summary>
    Unsubscribed = 6,

    /// <summary>The recipient's provider reported the message as spam (an ARF feedback report).</summary>
    Complained = 7,
}
