namespace ModernMail.Smtp;

/// <summary>The STARTTLS handshake failed (no common protocol or cipher, not a TLS record, data injected before it); the connection is dead.</summary>
/// <remarks>The decision is "this server cannot do TLS with us": opportunistic TLS reconnects in clear text, a TLS policy
/// refuses the host. A handshake that stalls is an <see cref="SmtpTimeoutException"/> (stage "TLS handshake").</remarks>
public sealed class SmtpTlsException : ModernMailException
{
    /// <summary>Creates an exception with a message naming the peer.</summary>
    public SmtpTlsException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public SmtpTlsException(string message, Exception innerException) : base(message, innerException) { }
}
