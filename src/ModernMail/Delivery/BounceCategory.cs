namespace ModernMail.Delivery;

/// <summary>Why a recipient was not delivered, in words a sender can act on.</summary>
/// <remarks>Decided by <see cref="DeliveryClassifier"/> from the enhanced status code, the reply code, the stage and the
/// text patterns of large receivers. Only <see cref="InvalidRecipient"/> and <see cref="BadDomain"/> say the address
/// itself is bad; the others are about the sender, the message or the moment.</remarks>
public enum BounceCategory
{
    /// <summary>Not a failure: the recipient was delivered (or nothing classified the result).</summary>
    None,

    /// <summary>The mailbox does not exist or is disabled (e.g. 5.1.1 user unknown).</summary>
    InvalidRecipient,

    /// <summary>The domain does not exist or does not accept mail (NXDOMAIN, null MX, 5.1.2).</summary>
    BadDomain,

    /// <summary>The mailbox is over quota (x.2.2).</summary>
    MailboxFull,

    /// <summary>The message is larger than the server accepts (x.3.4).</summary>
    MessageTooBig,

    /// <summary>The sending IP or domain has a bad reputation or is on a block list (Spamhaus, Microsoft S3150, ...).</summary>
    SpamBlock,

    /// <summary>The message content was refused: spam or virus content, links, attachment types, media (x.6.x).</summary>
    ContentRejected,

    /// <summary>A policy of the receiver refused the message (relaying denied, sender not allowed, generic 5.7.1).</summary>
    PolicyRelated,

    /// <summary>SPF, DKIM or DMARC did not authenticate the sender (e.g. Gmail 5.7.26, 5.7.27).</summary>
    AuthenticationFailed,

    /// <summary>The receiver throttles: too many messages, connections or recipients for now.</summary>
    RateLimited,

    /// <summary>The receiver or a policy requires TLS that this delivery could not provide (x.7.10, REQUIRETLS 5.7.30).</summary>
    TlsRequired,

    /// <summary>No session could be established or it broke: refused, timed out, lost connection, server busy.</summary>
    ConnectionFailed,

    /// <summary>DNS lookups failed temporarily (SERVFAIL, timeout).</summary>
    DnsFailure,

    /// <summary>The message stayed undeliverable until its lifetime ran out (x.4.7).</summary>
    Expired,

    /// <summary>None of the above.</summary>
    Other,
}
