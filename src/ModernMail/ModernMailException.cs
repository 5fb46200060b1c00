using System;

namespace ModernMail;

/// <summary>The base of every exception ModernMail throws, so callers can catch them in one place.</summary>
/// <remarks>Each derived type stands for one decision of the caller:
/// retry the connection (<see cref="Smtp.SmtpConnectException"/>, <see cref="Smtp.SmtpProtocolException"/>);
/// retry later (<see cref="Smtp.SmtpTimeoutException"/>, <see cref="Dkim.DkimKeyLookupException"/>, a
/// <see cref="Queue.QueueStoreException"/> that <see cref="Queue.QueueStoreException.IsTransient">is transient</see>);
/// act on the server's answer (<see cref="Smtp.SmtpReplyException"/>, <see cref="Smtp.SmtpTlsException"/>);
/// fix your input (<see cref="Mime.MailMessageFormatException"/>, a <see cref="Dkim.DkimException"/> about the message);
/// fix your configuration (<see cref="Dkim.DkimKeyException"/>, a permanent <see cref="Queue.QueueStoreException"/>).
/// Invalid arguments are <see cref="ArgumentException"/>, as everywhere in .NET.</remarks>
public class ModernMailException : Exception
{
    /// <summary>Creates an exception with no message.</summary>
    public ModernMailException() { }

    /// <summary>Creates an exception with a message.</summary>
    public ModernMailException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public ModernMailException(string message, Exception innerException) : base(message, innerException) { }
}
