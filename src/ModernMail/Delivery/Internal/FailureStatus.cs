using ModernMail.Smtp;

namespace ModernMail.Delivery.Internal;

/// <summary>The RFC 3463 status each failure without a server reply stands for, as Postfix reports its own failures;
/// <see cref="DeliveryClassifier"/> classifies them like replies.</summary>
internal static class FailureStatus
{
    /// <summary>4.4.1 No answer from host: no mail exchanger could be reached or greeted us.</summary>
    public static EnhancedStatusCode NoAnswer { get; } = new(4, 4, 1);

    /// <summary>4.4.2 Bad connection: the session broke, timed out or went out of step mid-transaction.</summary>
    public static EnhancedStatusCode BadConnection { get; } = new(4, 4, 2);

    /// <summary>4.4.3 Directory server failure: DNS failed; try again.</summary>
    public static EnhancedStatusCode DnsFailure { get; } = new(4, 4, 3);

    /// <summary>5.1.2 Bad destination system address: the domain is invalid, does not exist or accepts no mail.</summary>
    public static EnhancedStatusCode BadDestinationSystem { get; } = new(5, 1, 2);

    /// <summary>5.3.4 Message too big for system: larger than the SIZE the server advertised (RFC 1870).</summary>
    public static EnhancedStatusCode MessageTooBig { get; } = new(5, 3, 4);

    /// <summary>5.6.7 Non-ASCII addresses not permitted (RFC 6531): the server lacks SMTPUTF8.</summary>
    public static EnhancedStatusCode NonAsciiAddress { get; } = new(5, 6, 7);

    /// <summary>5.6.9 UTF-8 header message cannot be transferred (RFC 6531): the server lacks SMTPUTF8.</summary>
    public static EnhancedStatusCode Utf8Header { get; } = new(5, 6, 9);

    /// <summary>5.7.30 REQUIRETLS support required (RFC 8689 §5).</summary>
    public static EnhancedStatusCode RequireTls { get; } = new(5, 7, 30);

    /// <summary>4.7.10 "encryption needed" (RFC 5248): every exchanger was refused by a TLS policy (MTA-STS, DANE,
    /// <see cref="TlsPolicy.Required"/>/<see cref="TlsPolicy.Verify"/>); worth retrying, a policy or certificate may change.</summary>
    public static EnhancedStatusCode EncryptionNeeded { get; } = new(4, 7, 10);
}
