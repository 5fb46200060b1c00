using System.Globalization;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using ModernMail.Dkim;
using ModernMail.Queue;
using ModernMail.Tls;

namespace ModernMail.Server.Configuration;

/// <summary>Turns <see cref="MailServerSettings"/> into the library's option objects, naming the setting when a value is wrong.</summary>
internal static class SettingsBuilder
{
    public static QueueOptions QueueOptions(MailServerSettings settings)
    {
        var d = settings.Delivery;
        var options = new QueueOptions
        {
            Store = settings.EffectiveStore,
            MaxConcurrentDeliveries = d.Concurrency,
            MaxConcurrentPerDomain = d.PerDomain,
            HostName = settings.HostName,
            LeaseDuration = d.Lease,
            PollInterval = d.Poll,
            FirstRetryDelay = d.RetryFirst,
            MaxRetryDelay = d.RetryMax,
            MessageLifetime = d.Lifetime,
            // With VERP every envelope sender is one of our bounce addresses: a DSN would come back to our own listener. The
            // bounced event (and its webhook) is the notification then.
            SendBounces = d.Bounces && BounceDomain(settings) is null,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException ex)
        {
            throw new ServerConfigurationException($"Delivery: {ex.Message}", ex);
        }
        return options;
    }

    /// <summary>The VERP bounce domain (<see cref="InboundSettings.Domain"/>, without a final dot); null for none.</summary>
    /// <exception cref="ServerConfigurationException">It is not a domain name.</exception>
    public static string? BounceDomain(MailServerSettings settings)
    {
        string? domain = settings.Inbound.Domain?.Trim().TrimEnd('.');
        if (string.IsNullOrEmpty(domain))
        {
            return null;
        }
        if (!System.Net.Mail.MailAddress.TryCreate("bounces@" + domain, out var probe) || probe.Host != domain || !domain.Contains('.', StringComparison.Ordinal))
        {
            throw new ServerConfigurationException($"Inbound:Domain: \"{domain}\" is not a domain name.");
        }
        return domain;
    }

    public static BrokerConfig BrokerConfig(MailServerSettings settings, Microsoft.Extensions.Logging.ILoggerFactory loggers)
    {
        var d = settings.Delivery;
        if (d.Port is < 1 or > 65535)
        {
            throw new ServerConfigurationException(string.Create(CultureInfo.InvariantCulture, $"Delivery:Port: {d.Port} is not a TCP port (1-65535)."));
        }
        if (d.MtaStsPort is < 1 or > 65535)
        {
            throw new ServerConfigurationException(string.Create(CultureInfo.InvariantCulture, $"Delivery:MtaStsPort: {d.MtaStsPort} is not a TCP port (1-65535)."));
        }
        var config = new BrokerConfig
        {
            HostName = settings.HostName,
            SmtpPort = d.Port,
            Tls = d.Tls,
            LoggerFactory = loggers,
            MtaSts = new MtaStsOptions { Enabled = d.MtaSts, HttpsPort = d.MtaStsPort },
            TrustedRoots = d.TrustedRoots.Length == 0 ? null : LoadRoots(d.TrustedRoots),
            // Up to Concurrency deliveries can go to one host (a smart host, or a big provider's MX); with the library's
            // default of 4 idle connections the others were closed after every message and reopened for the next.
            MaxIdleConnectionsPerHost = Math.Max(4, d.Concurrency),
            Shaping = d.Shaping,
        };
        foreach (string server in d.Dns)
        {
            config.DnsServers.Add(server);
        }
        config.Dane.Enabled = d.Dane;
        foreach (string server in d.DaneResolvers)
        {
            config.Dane.ValidatingResolvers.Add(server);
        }
        foreach (string route in d.Routes)
        {
            int eq = route.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0 || eq == route.Length - 1)
            {
                throw new ServerConfigurationException($"Delivery:Routes / --route: expected DOMAIN=HOST[:PORT], got \"{route}\".");
            }
            config.Routes[route[..eq].Trim()] = route[(eq + 1)..].Trim();
        }
        return config;
    }

    private static X509Certificate2Collection LoadRoots(string path)
    {
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or CryptographicException)
        {
            throw new ServerConfigurationException($"Delivery:TrustedRoots: cannot read certificates from \"{path}\": {ex.Message}", ex);
        }
        if (roots.Count == 0)
        {
            throw new ServerConfigurationException($"Delivery:TrustedRoots: \"{path}\" holds no PEM certificate.");
        }
        return roots;
    }

    public static List<DkimConfig> Dkim(MailServerSettings settings)
    {
        var keys = new List<DkimConfig>();
        for (int i = 0; i < settings.Dkim.Count; i++)
        {
            var key = settings.Dkim[i];
            string where = string.Create(CultureInfo.InvariantCulture, $"Dkim:{i}");
            if (key.Domain.Length == 0 || key.Selector.Length == 0 || key.KeyFile.Length == 0)
            {
                throw new ServerConfigurationException($"{where}: Domain, Selector and KeyFile are all required.");
            }
            string pem;
            try
            {
                pem = File.ReadAllText(key.KeyFile);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                throw new ServerConfigurationException($"{where}:KeyFile: cannot read \"{key.KeyFile}\": {ex.Message}", ex);
            }
            try
            {
                keys.Add(DkimConfig.FromPem(key.Domain, key.Selector, pem));
            }
            catch (DkimException ex)
            {
                throw new ServerConfigurationException($"{where} (d={key.Domain}, s={key.Selector}): {ex.Message}", ex);
            }
        }
        return keys;
    }

    /// <summary>Checks the webhook endpoints: an absolute http(s) URL each, once, a secret of 16 characters or more, known event types.</summary>
    public static IReadOnlyList<WebhookSettings> Webhooks(MailServerSettings settings)
    {
        var urls = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < settings.Webhooks.Count; i++)
        {
            var hook = settings.Webhooks[i];
            string where = string.Create(CultureInfo.InvariantCulture, $"Webhooks:{i}");
            if (!Uri.TryCreate(hook.Url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw new ServerConfigurationException($"{where}:Url: \"{hook.Url}\" is not an absolute http:// or https:// URL.");
            }
            if (!urls.Add(uri.AbsoluteUri))
            {
                throw new ServerConfigurationException($"{where}:Url: \"{hook.Url}\" is configured twice.");
            }
            if (hook.Secret.Length < 16)
            {
                throw new ServerConfigurationException($"{where}:Secret: give a secret of at least 16 characters (receivers check the signature with it).");
            }
            foreach (string type in hook.Events)
            {
                if (Events.EventJson.ParseType(type) is null)
                {
                    throw new ServerConfigurationException($"{where}:Events: \"{type}\" is not an event type (queued, delivered, deferred, bounced, expired, suppressed, unsubscribed, complained).");
                }
            }
            if (hook.Timeout <= TimeSpan.Zero || hook.RetryFor < TimeSpan.Zero || hook.MaxRetryDelay < TimeSpan.FromSeconds(1))
            {
                throw new ServerConfigurationException($"{where}: Timeout must be positive, RetryFor not negative and MaxRetryDelay at least one second.");
            }
        }
        return settings.Webhooks.ToList();
    }
}
