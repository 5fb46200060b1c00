using System;
using System.Collections.Generic;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using ModernMail.Smtp;
using ModernMail.Tls;

namespace ModernMail;

/// <summary>Configures a <see cref="MailBroker"/>: who we say we are, how we sign, and how we reach mail exchangers.</summary>
public sealed class BrokerConfig
{
    /// <summary>The host name we announce in EHLO and use for Message-ID; should have an A record and match the sending IP's PTR.</summary>
    public string HostName { get; set; } = "localhost";

    /// <summary>A single DKIM signature to add to every message (the seed's API); see <see cref="DkimSignatures"/> for several.</summary>
    public DkimConfig? DkimConfig { get; set; }

    /// <summary>Additional DKIM signatures (for example Ed25519 plus RSA), applied after <see cref="DkimConfig"/>.</summary>
    public IList<DkimConfig> DkimSignatures { get; } = new List<DkimConfig>();

    /// <summary>DNS servers as "address" or "address:port"; empty means the system's resolvers.</summary>
    public IList<string> DnsServers { get; } = new List<string>();

    /// <summary>The TCP port of mail exchangers (RFC 5321: 25).</summary>
    public int SmtpPort { get; set; } = 25;

    /// <summary>DANE (RFC 7672): whether TLSA records are honoured, and which DNS servers are trusted to validate DNSSEC.</summary>
    public DaneOptions Dane { get; set; } = new();

    /// <summary>Whether STARTTLS is used when offered, required, or never attempted.</summary>
    public TlsPolicy Tls { get; set; } = TlsPolicy.Opportunistic;

    /// <summary>How recipient domains' MTA-STS policies (RFC 8461) are found and honoured; on by default. Static
    /// <see cref="Routes"/> bypass them (the operator chose the host).</summary>
    public MtaStsOptions MtaSts { get; set; } = new();

    /// <summary>Roots trusted for mail exchangers' certificates when a policy demands a valid one (<see cref="TlsPolicy.Verify"/>,
    /// MTA-STS enforce, REQUIRETLS) instead of the system's trust store; also for MTA-STS policy hosts unless
    /// <see cref="MtaStsOptions.TrustedRoots"/> is set. Null uses the system trust store.</summary>
    public X509Certificate2Collection? TrustedRoots { get; set; }

    /// <summary>Static routes that skip MX lookup: a recipient domain (or "*" for every domain) to "host[:port]".</summary>
    public IDictionary<string, string> Routes { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Per-stage SMTP timeouts; defaults follow RFC 5321 §4.5.3.2.</summary>
    public SmtpTimeouts Timeouts { get; set; } = new();

    /// <summary>How many recipient domains are delivered in parallel by one send.</summary>
    public int MaxParallelDomains { get; set; } = 4;

    /// <summary>The most idle connections kept open per mail exchanger address for reuse; 0 disables reuse.</summary>
    public int MaxIdleConnectionsPerHost { get; set; } = 4;

    /// <summary>How long an idle pooled connection is kept before it is closed.</summary>
    public TimeSpan ConnectionIdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How many messages are sent over one connection before it is closed.</summary>
    public int MaxMessagesPerConnection { get; set; } = 100;

    /// <summary>Traffic shaping: per-destination connection, message and rate limits, shipped provider defaults and adaptive
    /// back-off. Shared by every send through one <see cref="Delivery.SmtpTransport"/> (so by <see cref="MailBroker"/> and the queue worker).</summary>
    public Delivery.Shaping.TrafficShaping Shaping { get; set; } = new();

    /// <summary>The random source for shuffling MX records of equal preference; null means <see cref="Random.Shared"/>.</summary>
    public Random? Random { get; set; }

    /// <summary>The clock used for Date headers, DKIM timestamps and timeouts.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Where delivery outcomes (Information) and SMTP transcripts (Debug) are logged.</summary>
    public ILoggerFactory? LoggerFactory { get; set; }
}
