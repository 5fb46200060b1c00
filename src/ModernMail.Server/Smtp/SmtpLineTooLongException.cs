using System.Globalization;

namespace ModernMail.Server.Smtp;

/// <summary>A client sent a line longer than the limit: the session cannot find the next command reliably and is closed.</summary>
internal sealed class SmtpLineTooLongException : ModernMailException
{
    public SmtpLineTooLongException(int limit)
        : base(string.Create(CultureInfo.InvariantCulture, $"Line too long (the limit is {limit} bytes)"))
    {
    }
}
