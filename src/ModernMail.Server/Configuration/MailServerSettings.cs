namespace ModernMail.Server.Configuration;

/// <summary>Everything <c>mailbroker serve</c> is configured with: where it keeps data, how it listens, how it delivers and signs.</summary>
/// <remarks>Bound from the "mailbroker.json" file, then MAILBROKER__SECTION__KEY environment variables, then command-line
/// options (each later source overrides the earlier). See docs/mailbroker.example.json.</remarks>
public sealed class MailServerSettings
{
    /// <summary>The directory that holds the server's own database (API keys, idempotency records) and, by default, the queue.</summary>
    public string DataDirectory { get; set; } = "mailbroker-data";

    /// <summary>The queue store ("sqlite:PATH" or "postgres:CONNECTION-STRING"); null means SQLite in <see cref="DataDirectory"/>.</summary>
    public string? Store { get; set; }

    /// <summary>The host name announced in EHLO and used in Message-IDs and bounces.</summary>
    public string HostName { get; set; } = Environment.MachineName;

    /// <summary>The HTTP API listener and its limits.</summary>
    public HttpSettings Http { get; set; } = new();

    /// <summary>The SMTP submission listener and its limits.</summary>
    public SmtpSettings Smtp { get; set; } = new();

    /// <summary>How queued mail is delivered.</summary>
    public DeliverySettings Delivery { get; set; } = new();

    /// <summary>DKIM keys; a message is signed with every key whose domain is its From domain (or a parent of it).</summary>
    public IList<DkimKeySettings> Dkim { get; set; } = new List<DkimKeySettings>();

    /// <summary>Webhook endpoints that receive every event as a signed JSON POST.</summary>
    public IList<WebhookSettings> Webhooks { get; set; } = new List<WebhookSettings>();

    /// <summary>One-click unsubscribe links: their public base URL, the token secret, an optional mailto.</summary>
    public UnsubscribeSettings Unsubscribe { get; set; } = new();

    /// <summary>OTLP export of metrics and traces.</summary>
    public TelemetrySettings Telemetry { get; set; } = new();

    /// <summary>Late bounces and complaints: the VERP bounce domain and its listener.</summary>
    public InboundSettings Inbound { get; set; } = new();

    /// <summary>The queue store actually used: <see cref="Store"/>, or SQLite in <see cref="DataDirectory"/>.</summary>
    public string EffectiveStore => string.IsNullOrWhiteSpace(Store) ? "sqlite:" + DataDirectory : Store;
}
