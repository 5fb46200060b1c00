namespace ModernMail;

/// <summary>How the SMTP client treats STARTTLS.</summary>
public enum TlsPolicy
{
    /// <summary>Use STARTTLS when the server offers it; fall back to clear text if it is absent or its handshake fails.</summary>
    Opportunistic,

    /// <summary>Never send a message in clear text: recipients of servers without working STARTTLS fail.</summary>
    Required,

    /// <summary>Never attempt STARTTLS.</summary>
    Disabled,

    /// <summary>Like <see cref="Required"/>, and the certificate must also be valid for the mail exchanger's host name (a trusted
    /// chain, current, the MX name in its subject alternative names); servers that fail are not used.</summary>
    Verify,
}
