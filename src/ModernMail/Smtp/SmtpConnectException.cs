using System;

namespace ModernMail.Smtp;

/// <summary>The TCP connection to a mail exchanger could not be opened (refused, unreachable, reset); no byte of SMTP was exchanged.</summary>
/// <remarks>
/// The decision is "retry the connection": try the server's next address or MX host, or the same one later. Nothing is
/// wrong with the message or the caller's input. Not an <see cref="SmtpProtocolException"/>, which means the server
/// sent bytes that are not SMTP or dropped a session under way. A connect that takes too long is an
/// <see cref="SmtpTimeoutException"/> (stage "connect").
/// </remarks>
public sealed class SmtpConnectException : ModernMailException
{
    /// <summary>Creates an exception with a message naming the peer.</summary>
    public SmtpConnectException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it (usually a <see cref="System.Net.Sockets.SocketException"/>).</summary>
    public SmtpConnectException(string message, Exception innerException) : base(message, innerException) { }
}
