using System;

namespace ModernMail.Dkim;

/// <summary>
/// A DKIM key could not be looked up because DNS timed out or failed (SERVFAIL, REFUSED): verification gives temperror.
/// </summary>
/// <remarks>
/// Not a <see cref="DkimException"/>: nothing is wrong with the caller's input or configuration, so the decision is
/// "retry later" (<see cref="IsTransient"/>), not "fix your input".
/// </remarks>
public sealed class DkimKeyLookupException : ModernMailException
{
    /// <summary>Creates an exception with no message.</summary>
    public DkimKeyLookupException() { }

    /// <summary>Creates an exception with a message.</summary>
    public DkimKeyLookupException(string message) : base(message) { }

    /// <summary>Creates an exception with a message and the exception that caused it.</summary>
    public DkimKeyLookupException(string message, Exception innerException) : base(message, innerException) { }

    /// <summary>Always true: the same lookup may succeed later.</summary>
    public bool IsTransient => true;
}
