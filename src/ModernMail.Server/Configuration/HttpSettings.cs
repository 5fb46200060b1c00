namespace ModernMail.Server.Configuration;

/// <summary>The HTTP API listener and the limits that keep one client from costing more than its own request.</summary>
public sealed class HttpSettings
{
    /// <summary>The default listener: loopback only, so a fresh install is not reachable from the network.</summary>
    public const string DefaultListen = "127.0.0.1:8025";

    /// <summary>Where the API listens: "ADDRESS:PORT" (comma-separated for several, "[::1]:8025" for IPv6), or "none" for no HTTP API.</summary>
    public string Listen { get; set; } = DefaultListen;

    /// <summary>The largest request body accepted, in bytes; larger requests get 413. Default 25 MiB.</summary>
    public long MaxRequestBodySize { get; set; } = 25L * 1024 * 1024;

    /// <summary>How long a client may take to send the request headers (slowloris protection).</summary>
    public TimeSpan RequestHeadersTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The slowest a request body may arrive, in bytes per second, once <see cref="MinRequestBodyDataRateGracePeriod"/> has passed.</summary>
    public double MinRequestBodyDataRate { get; set; } = 1024;

    /// <summary>How long a body may arrive slower than <see cref="MinRequestBodyDataRate"/> before the request is dropped.</summary>
    public TimeSpan MinRequestBodyDataRateGracePeriod { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How long an idle keep-alive connection stays open.</summary>
    public TimeSpan KeepAliveTimeout { get; set; } = TimeSpan.FromSeconds(120);

    /// <summary>The most connections open at once; null for no limit.</summary>
    public long? MaxConcurrentConnections { get; set; } = 1000;

    /// <summary>Whether to serve the read-only status page at "/" and its JSON under "/v1/status" (free on a loopback listener, else a key without a domain list).</summary>
    public bool StatusPage { get; set; } = true;

    /// <summary>True when the HTTP API is turned off (<see cref="Listen"/> is "none" or empty).</summary>
    public bool IsDisabled => string.IsNullOrWhiteSpace(Listen) || Listen.Trim().Equals("none", StringComparison.OrdinalIgnoreCase);
}
