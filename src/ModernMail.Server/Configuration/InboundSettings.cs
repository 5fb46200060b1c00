namespace ModernMail.Server.Configuration;

/// <summary>Bounces and complaints that arrive later: with a <see cref="Domain"/>, every message is sent as one copy per recipient
/// with a VERP envelope sender in that domain, and a listener for that domain only (never a relay) takes the DSNs (RFC 3464) and
/// feedback reports (RFC 5965) sent back to those addresses.</summary>
public sealed class InboundSettings
{
    /// <summary>The bounce domain, e.g. "bounces.example.com" (its MX must reach <see cref="Listen"/>; a subdomain of the sender
    /// domain keeps SPF aligned for DMARC); null for no VERP and no listener.</summary>
    public string? Domain { get; set; }

    /// <summary>The listener's ADDRESS:PORT (port 25 on the bounce domain's MX), or "none" when another node or MTA takes the
    /// reports.</summary>
    public string Listen { get; set; } = "none";

    /// <summary>Larger reports are refused with 552 (a DSN with the returned headers is a few KiB; an ARF report carries the whole
    /// original message).</summary>
    public long MaxMessageSize { get; set; } = 1024 * 1024;
}
