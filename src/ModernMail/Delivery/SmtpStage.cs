namespace ModernMail.Delivery;

/// <summary>The step of a delivery a result's reply (or failure) belongs to: which SMTP command the reply answered, or
/// where the attempt failed before a server could answer.</summary>
/// <remarks>The same reply code means different things at different stages: a 552 to RCPT TO is "too many recipients"
/// and temporary (RFC 5321 §4.5.3.1.10), a 552 after the message data is "message too big" and permanent.</remarks>
public enum SmtpStage
{
    /// <summary>Before any network traffic: the address or message cannot be sent as given (e.g. an invalid domain).</summary>
    None,

    /// <summary>Finding the mail exchangers: MX, A and AAAA lookups.</summary>
    Dns,

    /// <summary>Opening a session failed at every mail exchanger: TCP connect, greeting, EHLO or STARTTLS (the reasons are in
    /// <see cref="DeliveryResult.Detail"/>; <see cref="SmtpTransport"/> does not tell these steps apart yet).</summary>
    Connect,

    /// <summary>The server's 220 greeting, for classifying a greeting reply with <see cref="DeliveryClassifier"/>.</summary>
    Greeting,

    /// <summary>EHLO/HELO, or a decision made from what EHLO advertised (SIZE, SMTPUTF8).</summary>
    Ehlo,

    /// <summary>STARTTLS or a TLS requirement (MTA-STS, DANE, REQUIRETLS) that no server met.</summary>
    Tls,

    /// <summary>MAIL FROM.</summary>
    MailFrom,

    /// <summary>RCPT TO.</summary>
    RcptTo,

    /// <summary>The DATA command (before the message is sent).</summary>
    Data,

    /// <summary>The final "." after the message data: the server's verdict on the message.</summary>
    FinalDot,
}
