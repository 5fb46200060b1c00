namespace ModernMail.Server.Configuration;

/// <summary>The SMTP submission listener (RFC 6409): where it listens, its TLS certificate, and the limits on what one client may cost.</summary>
public sealed class SmtpSettings
{
    /// <summary>The default listener: loopback only, port 2587 (587 needs root), STARTTLS.</summary>
    public const string DefaultListen = "127.0.0.1:2587";

    /// <summary>STARTTLS listeners "ADDRESS:PORT" ("[::1]:2587" for IPv6); ["none"] (or an empty list) for none; null (unset) means <see cref="DefaultListen"/>.</summary>
    /// <remarks>Null rather than a default element because the configuration binder appends to a list that already has items.</remarks>
    public IList<string>? Listen { get; set; }

    /// <summary>Implicit-TLS listeners (RFC 8314 "submissions", port 465 style): TLS from the first byte; empty for none.</summary>
    public IList<string> ImplicitTlsListen { get; set; } = new List<string>();

    /// <summary>The PEM certificate (chain) file; with <see cref="KeyPath"/>. Neither: a self-signed certificate is generated at start.</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The PEM private key file of <see cref="CertificatePath"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The largest message accepted, in bytes (advertised as SIZE; larger messages get 552 5.3.4). Default 25 MiB.</summary>
    public long MaxMessageSize { get; set; } = 25L * 1024 * 1024;

    /// <summary>The most recipients of one message; more get 452 4.5.3.</summary>
    public int MaxRecipients { get; set; } = 100;

    /// <summary>The longest command line, in bytes with CRLF (RFC 5321 §4.5.3.1.4 asks for 512; extensions make lines longer).</summary>
    public int MaxCommandLength { get; set; } = 2048;

    /// <summary>How long the server waits for a complete command line (and for the TLS handshake); a client that is silent or trickles longer is disconnected.</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the whole message content (DATA up to the final dot) may take; a client that stalls or trickles longer is disconnected.</summary>
    public TimeSpan DataTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The most connections open at once; further ones get 421 4.3.2 and are closed.</summary>
    public int MaxConnections { get; set; } = 200;

    /// <summary>Failed logins from one address within <see cref="AuthFailureWindow"/> after which the address is refused.</summary>
    public int MaxAuthFailures { get; set; } = 10;

    /// <summary>The window over which failed logins are counted.</summary>
    public TimeSpan AuthFailureWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>How long an address that reached <see cref="MaxAuthFailures"/> gets 421 4.7.0 for every connection and AUTH.</summary>
    public TimeSpan AuthBlockDuration { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>True when there is no listener at all (<see cref="Listen"/> is "none" or empty and there is no implicit-TLS listener).</summary>
    public bool IsDisabled => StartTlsEndpoints.Count == 0 && ImplicitTlsListen.Count == 0;

    /// <summary>The STARTTLS listener entries without "none" and blanks.</summary>
    internal IReadOnlyList<string> StartTlsEndpoints =>
        (Listen ?? [DefaultListen]).Where(l => !string.IsNullOrWhiteSpace(l) && !l.Trim().Equals("none", StringComparison.OrdinalIgnoreCase)).ToList();
}
