using System.Net;
using System.Net.Mail;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using ModernMail.Delivery.Internal;
using ModernMail.Delivery.Internal.Shaping;
using ModernMail.Delivery.Shaping;
using ModernMail.Dns;
using ModernMail.Routing.Internal;
using ModernMail.Smtp;
using ModernMail.Smtp.Internal;
using ModernMail.Tls;
using ModernMail.Tls.Internal;

namespace ModernMail.Delivery;

/// <summary>Delivers raw messages to recipients' mail exchangers over ESMTP: MX routing, STARTTLS, pipelining and pooled connections.</summary>
public sealed partial class SmtpTransport : IMailTransport, IDisposable, IAsyncDisposable
{
    private readonly string _hostName;
    private readonly TlsPlanner _tls;
    private readonly SmtpTimeouts _timeouts;
    private readonly TimeProvider _time;
    private readonly int _maxParallelDomains;
    private readonly ILogger _logger;
    private readonly ILogger _transcript;
    private readonly MxRouter _router;
    private readonly SmtpSessionPool _pool;
    private readonly TrafficShaper? _shaper;
    private readonly SourceSelector? _sources;
    private readonly IDisposable? _gauges;
    private int _disposed;

    /// <summary>Creates a transport that resolves MX records with the DNS servers of <paramref name="config"/>.</summary>
    /// <exception cref="ArgumentException">The host name or a route is invalid.</exception>
    public SmtpTransport(BrokerConfig config)
        : this(config, DnsClientLookup.FromConfiguration(ValidateNotNull(config), nameof(config)))
    {
    }

    internal SmtpTransport(BrokerConfig config, IDnsLookup dns)
        : this(config, dns, policyStore: null, reports: null)
    {
    }

    /// <summary>A transport that keeps MTA-STS policies in <paramref name="policyStore"/> and counts TLS sessions in <paramref name="reports"/> (which it then owns).</summary>
    internal SmtpTransport(BrokerConfig config, IDnsLookup dns, IMtaStsPolicyStore? policyStore, TlsReportRecorder? reports)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(dns);
        ValidateHostName(config.HostName);
        // Named after the setting, so that a host's start validation (ModernMail.Hosting) names it too.
        ArgumentOutOfRangeException.ThrowIfLessThan(config.MaxParallelDomains, 1, nameof(BrokerConfig.MaxParallelDomains));
        ArgumentOutOfRangeException.ThrowIfNegative(config.MaxIdleConnectionsPerHost, nameof(BrokerConfig.MaxIdleConnectionsPerHost));
        ArgumentOutOfRangeException.ThrowIfLessThan(config.MaxMessagesPerConnection, 1, nameof(BrokerConfig.MaxMessagesPerConnection));
        ArgumentNullException.ThrowIfNull(config.Timeouts, nameof(BrokerConfig.Timeouts));
        _hostName = config.HostName;
        _timeouts = config.Timeouts;
        _time = config.TimeProvider ?? TimeProvider.System;
        _maxParallelDomains = config.MaxParallelDomains;
        var factory = config.LoggerFactory ?? NullLoggerFactory.Instance;
        _logger = factory.CreateLogger("ModernMail.Delivery");
        _transcript = factory.CreateLogger("ModernMail.Smtp");
        _router = new MxRouter(dns, config.Routes, config.SmtpPort, config.Random ?? Random.Shared);
        _pool = new SmtpSessionPool(config.MaxIdleConnectionsPerHost, config.ConnectionIdleTimeout, config.MaxMessagesPerConnection, _time);
        _tls = new TlsPlanner(config, dns, policyStore, reports);
        _shaper = TrafficShaper.Create(config.Shaping, _time, _logger);
        _sources = SourceSelector.Create(config.Shaping?.SourcePools, config.HostName);
        _gauges = _shaper is null ? null : Diagnostics.DestinationGauge.Register(_shaper.Snapshot);
    }

    /// <summary>Connection slots shared with the other nodes of a cluster (PostgreSQL); null for this process alone.</summary>
    internal IClusterLimits? ClusterLimits { get; init; }

    /// <summary>Every destination traffic shaping has seen: its rule, open connections, back-off and suspension (empty when
    /// <see cref="TrafficShaping.Enabled"/> is off).</summary>
    public IReadOnlyList<DestinationStatus> Destinations => _shaper?.Snapshot() ?? [];

    /// <summary>How many connections are idle in the pool (for diagnostics and tests).</summary>
    internal int IdleConnections => _pool.IdleCount;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">An address cannot be used in the envelope (control, format or line-separator characters, whitespace in or a trailing dot on the domain), or the stream is not seekable.</exception>
    /// <exception cref="ObjectDisposedException">The transport was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IReadOnlyList<DeliveryResult>> DeliverAsync(Envelope envelope, Stream message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(message);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (envelope.Sender is not null)
        {
            RecipientGrouper.Validate(envelope.Sender, nameof(envelope));
        }
        foreach (var recipient in envelope.Recipients)
        {
            RecipientGrouper.Validate(recipient, nameof(envelope));
        }
        var results = new DeliveryResult[envelope.Recipients.Count];
        if (results.Length == 0)
        {
            return results;
        }
        string reversePath;
        try
        {
            reversePath = envelope.Sender is null ? "" : RecipientGrouper.ToWireAddress(envelope.Sender);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"Invalid sender domain \"{envelope.Sender?.Host}\": {ex.Message}", nameof(envelope), ex);
        }
        bool senderUtf8 = envelope.Sender is not null && RecipientGrouper.NeedsSmtpUtf8(envelope.Sender);
        using var body = await MessageSource.CreateAsync(message, cancellationToken).ConfigureAwait(false);
        var groups = RecipientGrouper.Group(envelope.Recipients);
        // One source address per message (all its domains), from the pool of its sender domain.
        var sourceAddress = _sources?.Pick(envelope.Sender?.Host);
        var options = new ParallelOptions { MaxDegreeOfParallelism = _maxParallelDomains, CancellationToken = cancellationToken };
        await Parallel.ForEachAsync(groups, options, async (group, ct) =>
        {
            var request = new DomainDelivery(group, reversePath, senderUtf8, envelope.RequireTls, body, results) { Source = sourceAddress };
            await DeliverDomainAsync(request, ct).ConfigureAwait(false);
            Observe(request);
        }).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        return results;
    }

    private sealed record DomainDelivery(DomainGroup Group, string ReversePath, bool SenderUtf8, bool RequireTls, MessageSource Message, DeliveryResult[] Results)
    {
        /// <summary>The policy the results of this domain name; set once the domain's TLS plan is known.</summary>
        public AppliedTlsPolicy Policy { get; set; }

        /// <summary>The traffic-shaping destination, once routed; null when shaping is off.</summary>
        public Destination? Destination { get; set; }

        /// <summary>The local address and HELO name to connect with; null for the system's choice.</summary>
        public Source? Source { get; init; }
    }

    /// <summary>A session ready for a transaction, or why this address could not be used.</summary>
    // TlsRefused: the server was refused by a TLS rule (no STARTTLS, not authenticated, handshake failed), not unreachable.
    // HeldUntil: traffic shaping gave no connection in time; the recipients wait until then, untried.
    private readonly record struct Attempt(SmtpSession? Session, string? Failure, bool RequireTlsUnsupported = false, bool TlsRefused = false,
        DateTimeOffset? HeldUntil = null);

    private async Task DeliverDomainAsync(DomainDelivery request, CancellationToken cancellationToken)
    {
        var group = request.Group;
        if (group.Error is not null)
        {
            FailAll(request, SmtpStage.None, FailureStatus.BadDestinationSystem, group.Error, null, null);
            return;
        }
        DeliveryLog.Routing(_logger, group.Domain);
        var route = await _router.RouteAsync(group.Domain, cancellationToken).ConfigureAwait(false);
        if (route.Status != RouteStatus.Ok)
        {
            FailAll(request, SmtpStage.Dns, route.Status == RouteStatus.Transient ? FailureStatus.DnsFailure : FailureStatus.BadDestinationSystem, route.Error ?? $"no route to {group.Domain}", null, null);
            return;
        }
        if (_shaper is not null)
        {
            request.Destination = _shaper.For(group.Domain, route.Hosts, route.Static, request.Source?.Address);
            if (request.Destination is not null && !await AdmitAsync(request, request.Destination, cancellationToken).ConfigureAwait(false))
            {
                return;
            }
        }
        var plan = await _tls.PlanAsync(group.Domain, route.Static, request.RequireTls, cancellationToken, request.Destination?.Rule.Tls).ConfigureAwait(false);
        request.Policy = plan.Floor.Policy;
        var failures = new List<string>();
        int requireTlsFailures = 0;
        int tlsRefusals = 0;
        bool anyAddress = false;
        bool definitiveNoAddress = true;
        foreach (var host in route.Hosts)
        {
            if (plan.StsPolicy is { } sts && !sts.MatchesMx(host.Name))
            {
                _tls.Record(plan.Outcome(plan.Floor, TlsResultType.ValidationFailure, host.Name, null, "mx-mismatch"));
                // RFC 8461 §4.1: in enforce mode an MX the policy does not name is never used; testing only records it.
                if (sts.Mode == MtaStsMode.Enforce)
                {
                    failures.Add($"{host.Name} is not an MX host of the MTA-STS policy of {group.Domain} (mode enforce)");
                    tlsRefusals++;
                    continue;
                }
            }
            var hostPlan = await _tls.PlanHostAsync(plan, host.Name, host.Port, cancellationToken).ConfigureAwait(false);
            if (hostPlan.Refusal is { } refusal)
            {
                failures.Add(refusal);
                tlsRefusals++;
                continue;
            }
            if (plan.RequireTls && !route.Static && !plan.StsCovers(host.Name) && hostPlan.Policy != AppliedTlsPolicy.Dane)
            {
                failures.Add($"REQUIRETLS: {host.Name} is not authenticated as an MX of {group.Domain} (no MTA-STS policy names it, no DANE)");
                requireTlsFailures++;
                continue;
            }
            IReadOnlyList<IPAddress> addresses;
            if (host.Literal is not null)
            {
                addresses = [host.Literal];
            }
            else
            {
                var lookup = await _router.LookupAddressesAsync(host.Name, cancellationToken).ConfigureAwait(false);
                if (lookup.Outcome != DnsOutcome.Found)
                {
                    definitiveNoAddress &= lookup.Outcome is DnsOutcome.NoRecords or DnsOutcome.NoSuchDomain;
                    failures.Add(lookup.Error ?? $"{host.Name}: no address");
                    continue;
                }
                addresses = lookup.Addresses;
            }
            anyAddress = true;
            foreach (var address in addresses)
            {
                if (request.Source is { } from && from.Address.AddressFamily != address.AddressFamily)
                {
                    failures.Add($"{host.Name} [{address}]: no source address of its family in pool {from.Pool}");
                    continue;
                }
                var endPoint = new IPEndPoint(address, host.Port);
                var attempt = await TryDeliverViaAsync(request, plan, hostPlan, host.Name, endPoint, cancellationToken).ConfigureAwait(false);
                if (attempt.Failure is null)
                {
                    return;
                }
                if (attempt.HeldUntil is { } until)
                {
                    // Every host of the destination shares its limit: trying the next one would not help.
                    HoldAll(request, until, attempt.Failure);
                    return;
                }
                DeliveryLog.AttemptFailed(_logger, group.Domain, $"{host.Name} [{endPoint}]", attempt.Failure);
                failures.Add(attempt.Failure);
                if (attempt.RequireTlsUnsupported)
                {
                    requireTlsFailures++;
                }
                else if (attempt.TlsRefused)
                {
                    tlsRefusals++;
                }
            }
        }
        if (requireTlsFailures > 0 && requireTlsFailures == failures.Count)
        {
            // RFC 8689 §4.2.1: no MX meets the REQUIRETLS conditions; §5 names the status code.
            FailAll(request, SmtpStage.Tls, FailureStatus.RequireTls, "5.7.30 REQUIRETLS support required: " + string.Join("; ", failures), null, null);
            return;
        }
        if (!anyAddress && route.Implicit && definitiveNoAddress)
        {
            FailAll(request, SmtpStage.Dns, FailureStatus.BadDestinationSystem, $"{group.Domain} has no MX and no address records", null, null);
            return;
        }
        if (tlsRefusals > 0 && tlsRefusals + requireTlsFailures == failures.Count)
        {
            // Every exchanger was reachable but refused by a TLS policy: retried (transient), and classified as such.
            FailAll(request, SmtpStage.Tls, FailureStatus.EncryptionNeeded, "no mail exchanger met the TLS policy: " + string.Join("; ", failures), null, null);
            return;
        }
        FailAll(request, SmtpStage.Connect, FailureStatus.NoAnswer, "no mail exchanger could be used: " + string.Join("; ", failures), null, null);
    }

    private static BrokerConfig ValidateNotNull(BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config;
    }

    internal static void ValidateHostName(string? hostName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(hostName, nameof(BrokerConfig.HostName));
        if (hostName.AsSpan().IndexOfAny("\r\n\0 \t") >= 0)
        {
            throw new ArgumentException($"The host name \"{hostName.ReplaceLineEndings(" ").Replace('\0', ' ')}\" contains CR, LF, NUL or white space.", nameof(BrokerConfig.HostName));
        }
    }

    /// <summary>Closes pooled connections (QUIT).</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _gauges?.Dispose();
        await _pool.DisposeAsync().ConfigureAwait(false);
        await _tls.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Closes pooled connections (QUIT, waiting at most a few seconds).</summary>
    public void Dispose() => Task.Run(async () => await DisposeAsync().ConfigureAwait(false)).GetAwaiter().GetResult();
}
