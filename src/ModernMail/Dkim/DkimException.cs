using System;

namespace ModernMail.Dkim;

/// <summary>A DKIM operation could not be carried out: invalid configuration or a message that cannot be signed.</summary>
public class DkimException : ModernMailException
{
    /// <summary>Creates an exception with no message.</summary>
    public DkimException() { }

    /// <summary>Creates an exception with a message.</summary>
    public DkimException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public DkimException(string message, Exception innerException) : base(message, innerException) { }
}
