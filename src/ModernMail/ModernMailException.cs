using System;

namespace ModernMail;

/// <summary>The base of every exception ModernMail throws, so callers can catch them in one place.</summary>
public class ModernMailException : Exception
{
    /// <summary>Creates an exception with no message.</summary>
    public ModernMailException() { }

    /// <summary>Creates an exception with a message.</summary>
    public ModernMailException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public ModernMailException(string message, Exception innerException) : base(message, innerException) { }
}
