namespace ModernMail.Server.Configuration;

/// <summary>How the queue worker delivers: DNS, routes, port, TLS, concurrency, retries and bounces.</summary>
public sealed class DeliverySettings
{
    /// <summary>DNS servers, "ADDR" or "ADDR:PORT"; empty means the system's resolvers.</summary>
    public IList<string> Dns { get; set; } = new List<string>();

    /// <summary>Static routes "DOMAIN=HOST[:PORT]" that skip MX lookup; DOMAIN "*" is a smart host.</summary>
    public IList<string> Routes { get; set; } = new List<string>();

    /// <summary>The TCP port of mail exchangers.</summary>
    public int Port { get; set; } = 25;

    /// <summary>STARTTLS: Opportunistic, Required, Verify (a certificate valid for the MX name) or Disabled.</summary>
    public TlsPolicy Tls { get; set; } = TlsPolicy.Opportunistic;

    /// <summary>Whether recipient domains' MTA-STS policies (RFC 8461) are honoured.</summary>
    public bool MtaSts { get; set; } = true;

    /// <summary>Whether MX hosts' DNSSEC-validated TLSA records (DANE, RFC 7672) are honoured; they need <see cref="DaneResolvers"/>.</summary>
    public bool Dane { get; set; } = true;

    /// <summary>The DNS servers ("ADDR[:PORT]", also listed in <see cref="Dns"/>) that validate DNSSEC: only their AD bit is
    /// trusted (as Postfix's smtp_dns_support_level = dnssec); empty means DANE never applies.</summary>
    public IList<string> DaneResolvers { get; set; } = new List<string>();

    /// <summary>The HTTPS port of MTA-STS policy hosts (443; another only for private deployments and tests).</summary>
    public int MtaStsPort { get; set; } = 443;

    /// <summary>A PEM file of root certificates trusted for MX and MTA-STS policy hosts instead of the system's; empty uses the system trust store.</summary>
    public string TrustedRoots { get; set; } = "";

    /// <summary>Messages delivered at the same time.</summary>
    public int Concurrency { get; set; } = 16;

    /// <summary>Deliveries at the same time to one recipient domain.</summary>
    public int PerDomain { get; set; } = 4;

    /// <summary>How long a worker owns a message before a crash returns it to the queue.</summary>
    public TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The longest sleep between looks at the store.</summary>
    public TimeSpan Poll { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The delay before the first retry of a deferred recipient.</summary>
    public TimeSpan RetryFirst { get; set; } = TimeSpan.FromSeconds(300);

    /// <summary>The longest delay between retries.</summary>
    public TimeSpan RetryMax { get; set; } = TimeSpan.FromSeconds(4000);

    /// <summary>How long a message may stay queued before it expires.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromDays(5);

    /// <summary>Whether bounced and expired recipients produce a delivery status notification.</summary>
    public bool Bounces { get; set; } = true;

    /// <summary>On shutdown, how long in-flight deliveries may finish before they are cancelled and released.</summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>Capture mode for development and staging: every door works as in production (keys, validation, DKIM signing,
    /// events), but the worker sends nothing; messages are recorded as delivered ("captured") and shown at /captured.</summary>
    public bool Capture { get; set; }

    /// <summary>Traffic shaping per destination (rules, shipped provider defaults, back-off); see <see cref="ModernMail.Delivery.Shaping.TrafficShaping"/>.</summary>
    public ModernMail.Delivery.Shaping.TrafficShaping Shaping { get; set; } = new();
}
