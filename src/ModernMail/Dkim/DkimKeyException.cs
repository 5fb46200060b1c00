using System;

namespace ModernMail.Dkim;

/// <summary>A DKIM key is unusable: malformed PEM, an unknown or unsupported key type, or an RSA key under 1024 bits.</summary>
public sealed class DkimKeyException : DkimException
{
    /// <summary>Creates an exception with no message.</summary>
    public DkimKeyException() { }

    /// <summary>Creates an exception with a message.</summary>
    public DkimKeyException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public DkimKeyException(string message, Exception innerException) : base(message, innerException) { }
}
