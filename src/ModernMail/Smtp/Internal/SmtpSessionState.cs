namespace ModernMail.Smtp.Internal;

/// <summary>Where an SMTP session is in its life.</summary>
internal enum SmtpSessionState
{
    /// <summary>TCP connected, the 220 greeting read.</summary>
    Greeted,

    /// <summary>EHLO/HELO accepted; a transaction may start.</summary>
    Ready,

    /// <summary>Inside MAIL FROM ... final "." reply.</summary>
    InTransaction,

    /// <summary>A protocol error, timeout or 421 happened; the connection must be dropped.</summary>
    Broken,

    /// <summary>QUIT sent or the connection disposed.</summary>
    Closed,
}
