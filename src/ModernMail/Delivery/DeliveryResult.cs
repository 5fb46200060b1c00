using System;
using System.Net.Mail;
using ModernMail.Internal;
using ModernMail.Smtp;
using ModernMail.Tls;

namespace ModernMail.Delivery;

/// <summary>What happened to one recipient of one message.</summary>
public sealed class DeliveryResult
{
    private readonly string? _detail;

    /// <summary>Creates a result.</summary>
    public DeliveryResult(MailAddress recipient, bool delivered, bool isTransient)
    {
        Recipient = recipient;
        Delivered = delivered;
        IsTransient = isTransient;
    }

    /// <summary>The recipient this result belongs to.</summary>
    public MailAddress Recipient { get; }

    /// <summary>True when the server accepted the message for this recipient (250 after DATA).</summary>
    public bool Delivered { get; }

    /// <summary>True when trying again later may succeed (4xx, timeouts, connection and DNS failures); false for permanent failures.</summary>
    /// <remarks><see cref="SmtpTransport"/> decides it with <see cref="DeliveryClassifier"/>; the queue retries exactly the results for which it is true.</remarks>
    public bool IsTransient { get; }

    /// <summary>The step the deciding reply answered (e.g. <see cref="SmtpStage.RcptTo"/>), or where the attempt failed without one.</summary>
    public SmtpStage Stage { get; init; }

    /// <summary>Why the recipient was not delivered; <see cref="BounceCategory.None"/> when it was (or when the transport does not classify).</summary>
    public BounceCategory Category { get; init; }

    /// <summary>The mail exchanger that gave the final answer, if one was reached.</summary>
    public string? MxHost { get; init; }

    /// <summary>True when the message (or the attempt) went over TLS.</summary>
    public bool UsedTls { get; init; }

    /// <summary>The negotiated TLS protocol, e.g. "Tls13".</summary>
    public string? TlsProtocol { get; init; }

    /// <summary>The negotiated TLS cipher suite.</summary>
    public string? TlsCipher { get; init; }

    /// <summary>True when the server's certificate validated (against the system's trust store or <see cref="BrokerConfig.TrustedRoots"/>, and the host name).</summary>
    public bool CertificateValid { get; init; }

    /// <summary>The recipient domain's TLS policy that governed the delivery (none, MTA-STS testing or enforce, DANE);
    /// when it refused a server, <see cref="Detail"/> says why.</summary>
    public AppliedTlsPolicy AppliedTlsPolicy { get; init; }

    /// <summary>Set when traffic shaping held the recipient back without an attempt (the destination is suspended, or at its
    /// connection or rate limit for longer than <see cref="Shaping.TrafficShaping.MaxWait"/>): try again no earlier than this.</summary>
    public DateTimeOffset? RetryAfter { get; init; }

    /// <summary>The server reply that decided this recipient's fate, if there was one.</summary>
    public SmtpReply? Reply { get; init; }

    /// <summary>The exception behind a failure without a decisive reply (timeouts, DNS, protocol errors).</summary>
    public Exception? Exception { get; init; }

    /// <summary>A one-line human reason for a failure, or the server's acceptance text.</summary>
    /// <remarks>Safe to print: control and format characters (which a server's reply may carry) are escaped as in <see cref="SmtpReply.Lines"/>.</remarks>
    public string? Detail
    {
        get => _detail;
        init => _detail = value is null ? null : SafeText.Escape(value);
    }
}
