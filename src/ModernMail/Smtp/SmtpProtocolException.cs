namespace ModernMail.Smtp;

/// <summary>The server sent bytes that are not valid SMTP, or an open session broke; the connection is dead.</summary>
/// <remarks>The decision is "retry the connection": nothing is wrong with the message. A connection that could not be
/// opened at all is an <see cref="SmtpConnectException"/>; a stage that took too long is an <see cref="SmtpTimeoutException"/>.</remarks>
public sealed class SmtpProtocolException : ModernMailException
{
    /// <summary>Creates an exception with a message naming the operation and the peer.</summary>
    public SmtpProtocolException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public SmtpProtocolException(string message, Exception innerException) : base(message, innerException) { }
}
