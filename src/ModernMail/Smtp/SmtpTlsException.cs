namespace ModernMail.Smtp;

/// <summary>The STARTTLS handshake failed or timed out; the connection is dead.</summary>
public sealed class SmtpTlsException : ModernMailException
{
    /// <summary>Creates an exception with a message naming the peer.</summary>
    public SmtpTlsException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public SmtpTlsException(string message, Exception innerException) : base(message, innerException) { }
}
