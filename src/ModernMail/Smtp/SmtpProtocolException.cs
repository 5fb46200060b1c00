namespace ModernMail.Smtp;

/// <summary>The server sent bytes that are not valid SMTP, or the connection broke; the connection is dead.</summary>
public sealed class SmtpProtocolException : ModernMailException
{
    /// <summary>Creates an exception with a message naming the operation and the peer.</summary>
    public SmtpProtocolException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public SmtpProtocolException(string message, Exception innerException) : base(message, innerException) { }
}
