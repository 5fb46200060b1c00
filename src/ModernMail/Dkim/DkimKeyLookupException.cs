using System;

namespace ModernMail.Dkim;

/// <summary>A DKIM key could not be looked up because of a temporary DNS failure; verification gives temperror.</summary>
public sealed class DkimKeyLookupException : DkimException
{
    /// <summary>Creates an exception with no message.</summary>
    public DkimKeyLookupException() { }

    /// <summary>Creates an exception with a message.</summary>
    public DkimKeyLookupException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public DkimKeyLookupException(string message, Exception innerException) : base(message, innerException) { }
}
