namespace ModernMail.Mime;

/// <summary>A <see cref="System.Net.Mail.MailMessage"/> field cannot be written safely (for example a CR or LF that would start a new header line).</summary>
public sealed class MailMessageFormatException : ModernMailException
{
    /// <summary>Creates an exception with no message.</summary>
    public MailMessageFormatException() => Field = "";

    /// <summary>Creates an exception with a message.</summary>
    public MailMessageFormatException(string message) : base(message) => Field = "";

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public MailMessageFormatException(string message, Exception innerException) : base(message, innerException) => Field = "";

    /// <summary>Creates an exception naming the offending field.</summary>
    public MailMessageFormatException(string field, string message, Exception? innerException = null)
        : base($"{field}: {message}", innerException!)
    {
        Field = field;
    }

    /// <summary>The field that could not be written, such as "From", "Subject" or "Attachments[0].Name".</summary>
    public string Field { get; }
}
