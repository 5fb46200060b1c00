using System;

namespace ModernMail.Dkim;

/// <summary>How a <see cref="DkimVerifier"/> runs.</summary>
public sealed class DkimVerifierOptions
{
    /// <summary>The clock that decides whether x= has passed.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>The most DKIM-Signature fields evaluated per message; more are reported as permerror.</summary>
    public int MaxSignatures { get; set; } = 10;

    /// <summary>The largest header block read before giving up with a <see cref="DkimException"/>.</summary>
    public int MaxHeaderBytes { get; set; } = DkimSignerOptions.DefaultMaxHeaderBytes;

    /// <summary>The smallest RSA key accepted (RFC 8301 §3.2: 1024).</summary>
    public int MinimumRsaKeyBits { get; set; } = 1024;
}
