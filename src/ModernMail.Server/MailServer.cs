using System.Globalization;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModernMail.Delivery;
using ModernMail.Dkim;
using ModernMail.Dns;
using ModernMail.Hosting.Internal;
using ModernMail.PostgreSql;
using ModernMail.PostgreSql.Internal;
using ModernMail.Queue;
using ModernMail.Server.Bounces;
using ModernMail.Server.Capture;
using ModernMail.Server.Configuration;
using ModernMail.Server.Events;
using ModernMail.Server.Http;
using ModernMail.Server.Idempotency;
using ModernMail.Server.Internal;
using ModernMail.Server.Keys;
using ModernMail.Server.Smtp;
using ModernMail.Server.Status;
using ModernMail.Server.Storage;
using ModernMail.Server.Submission;
using ModernMail.Server.Unsubscribe;
using ModernMail.Server.Webhooks;
using ModernMail.Tls.Internal;

namespace ModernMail.Server;

/// <summary>The sending server: the HTTP API, the SMTP submission listener and the queue worker in one process, over one queue store.</summary>
/// <example>
/// <code>
/// await using var server = await MailServer.CreateAsync(ServerConfigurationLoader.Load("mailbroker.json"), loggerFactory);
/// await server.StartAsync();
/// // ... until shutdown
/// await server.StopAsync();
/// </code>
/// </example>
public sealed class MailServer : IAsyncDisposable
{
    private readonly MailServerSettings _settings;
    private readonly SubmissionQueue _queues;
    private readonly IServerStore? _serverStore;
    private readonly SmtpTransport _transport;
    private readonly TlsStateStores _tlsState;
    private readonly QueueWorker _worker;
    private readonly WebApplication? _app;
    private readonly SubmissionListener? _smtp;
    private readonly WebhookService _webhooks;
    private SubmissionListener? _inbound;
    private PostgreSqlClusterLimits? _gate;
    private IDisposable? _otlpAlone;

    private MailServer(MailServerSettings settings, SubmissionQueue queues, IServerStore? serverStore, SmtpTransport transport, TlsStateStores tlsState,
        QueueWorker worker, WebApplication? app, SubmissionListener? smtp, WebhookService webhooks)
    {
        _webhooks = webhooks;
        _tlsState = tlsState;
        _smtp = smtp;
        _settings = settings;
        _queues = queues;
        _serverStore = serverStore;
        _transport = transport;
        _worker = worker;
        _app = app;
    }

    /// <summary>The queue the worker delivers from.</summary>
    public MailQueue Queue => _queues.WorkerQueue;

    /// <summary>The queue worker.</summary>
    public QueueWorker Worker => _worker;

    /// <summary>The URLs the HTTP API listens on, once started (empty without HTTP).</summary>
    public IReadOnlyList<string> HttpAddresses =>
        _app?.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.ToList() ?? [];

    /// <summary>The SMTP submission addresses, once started, as "ADDRESS:PORT (STARTTLS)" or "(implicit TLS)"; empty without SMTP.</summary>
    public IReadOnlyList<string> SmtpAddresses =>
        _smtp?.LocalEndPoints.Select(e => $"{e.EndPoint} ({(e.ImplicitTls ? "implicit TLS" : "STARTTLS")})").ToList() ?? [];

    /// <summary>The bounce listener's addresses, once started (<see cref="InboundSettings.Listen"/>); empty without one.</summary>
    public IReadOnlyList<string> InboundAddresses => _inbound?.LocalEndPoints.Select(e => e.EndPoint.ToString()).ToList() ?? [];

    /// <summary>Whether the server store holds at least one active API key (false without HTTP and SMTP).</summary>
    internal async Task<bool> HasActiveKeyAsync(CancellationToken cancellationToken)
    {
        if (_serverStore is null)
        {
            return false;
        }
        var keys = await _serverStore.ListKeysAsync(cancellationToken).ConfigureAwait(false);
        return keys.Any(k => k.IsActive);
    }

    /// <summary>Opens and initializes the stores, loads the DKIM keys and builds the HTTP API (unless <see cref="HttpSettings.Listen"/> is "none")
    /// and the SMTP submission listener (unless <see cref="SmtpSettings.Listen"/> is "none" and there is no implicit-TLS listener).</summary>
    /// <exception cref="ServerConfigurationException">A setting is invalid; the message names it.</exception>
    /// <exception cref="QueueStoreException">A store cannot be opened or initialized.</exception>
    public static async Task<MailServer> CreateAsync(MailServerSettings settings, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        QueueOptions options = SettingsBuilder.QueueOptions(settings);
        List<DkimConfig> dkim = SettingsBuilder.Dkim(settings);
        BrokerConfig broker = SettingsBuilder.BrokerConfig(settings, loggerFactory);
        IReadOnlyList<IPEndPoint> endpoints = settings.Http.IsDisabled ? [] : ParseListen(settings.Http.Listen);
        IReadOnlyList<WebhookSettings> webhooks = SettingsBuilder.Webhooks(settings);
        string? bounceDomain = SettingsBuilder.BounceDomain(settings);
        bool inboundListener = bounceDomain is not null && !settings.Inbound.Listen.Trim().Equals("none", StringComparison.OrdinalIgnoreCase);
        IReadOnlyList<IPEndPoint> inboundEndpoints = inboundListener ? ListenEndpoints.Parse([settings.Inbound.Listen], "Inbound:Listen", 25) : [];

        SmtpTransport transport;
        IDnsLookup dns;
        PostgreSqlClusterLimits? gate = null;
        // MTA-STS policies and TLS-RPT counts persist with the queue, so a restart (or another node) keeps both.
        var tlsState = TlsStateStores.Open(settings);
        var tlsRecorder = new TlsReportRecorder(tlsState.Reports);
        try
        {
            dns = DnsClientLookup.FromConfiguration(broker, "Delivery:Dns");
            // Over PostgreSQL, connection limits hold for every node together.
            gate = TlsStateStores.PostgreSqlLocation(settings) is { } shared
                ? new PostgreSqlClusterLimits(shared, $"{settings.HostName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}", loggerFactory.CreateLogger("ModernMail.Delivery"))
                : null;
            transport = new SmtpTransport(broker, dns, tlsState.Policies, tlsRecorder) { ClusterLimits = gate };
        }
        catch (ArgumentException ex)
        {
            if (gate is not null)
            {
                await gate.DisposeAsync().ConfigureAwait(false);
            }
            await tlsRecorder.DisposeAsync().ConfigureAwait(false);
            await tlsState.DisposeAsync().ConfigureAwait(false);
            throw new ServerConfigurationException($"Delivery: {ex.Message}", ex);
        }

        // Unsubscribe tokens and VERP addresses are HMACs with one server secret.
        byte[]? secret = endpoints.Count > 0 || bounceDomain is not null ? ServerSecret.Load(settings) : null;
        IQueueStore? store = null;
        SubmissionQueue? queues = null;
        IServerStore? serverStore = null;
        try
        {
            queues = await ConfiguredSubmission.OpenAsync(settings, options, dkim, secret, cancellationToken).ConfigureAwait(false);
            store = queues.WorkerQueue.Store;
            // Capture mode: the same worker, events and states, over a transport that sends nothing.
            string captured = Path.Combine(settings.DataDirectory, "captured");
            var worker = new QueueWorker(queues.WorkerQueue, settings.Delivery.Capture ? new CaptureTransport(captured, TimeProvider.System) : transport,
                loggerFactory.CreateLogger<QueueWorker>());
            var capture = settings.Delivery.Capture ? new CaptureView(captured, new DkimVerifier(new DnsDkimKeyResolver(dns)), settings.HostName) : null;
            WebApplication? app = null;
            SubmissionListener? smtp = null;
            if (endpoints.Count > 0 || !settings.Smtp.IsDisabled || inboundListener)
            {
                serverStore = new SqliteServerStore(settings.DataDirectory);
                await serverStore.InitializeAsync(cancellationToken).ConfigureAwait(false);
            }
            // The links point at the HTTP API's /u/TOKEN: without HTTP there are none.
            var unsubscribe = endpoints.Count > 0 ? UnsubscribeLinks.Create(settings, Describe(endpoints[0]), secret!) : null;
            if (!settings.Smtp.IsDisabled)
            {
                // serverStore is opened above whenever SMTP is on.
                smtp = new SubmissionListener(settings.Smtp, settings.HostName, queues, new ApiKeyService(serverStore!, TimeProvider.System), loggerFactory, TimeProvider.System)
                {
                    Unsubscribe = unsubscribe,
                };
            }
            if (endpoints.Count > 0)
            {
                app = BuildApp(settings, endpoints, loggerFactory, queues, serverStore!, worker, tlsState.Reports, tlsRecorder, unsubscribe, transport, capture);
            }
            var hooks = new WebhookService(webhooks, store, loggerFactory, TimeProvider.System);
            SubmissionListener? inbound = null;
            if (inboundListener)
            {
                // The submission listener's code with its limits (line length, timeouts, size, connections), in bounce-receiver mode.
                var listen = new SmtpSettings
                {
                    Listen = [.. inboundEndpoints.Select(e => e.ToString())],
                    CertificatePath = settings.Smtp.CertificatePath,
                    KeyPath = settings.Smtp.KeyPath,
                    MaxMessageSize = settings.Inbound.MaxMessageSize,
                    MaxRecipients = 10,
                    MaxConnections = 100,
                    CommandTimeout = TimeSpan.FromMinutes(2),
                    DataTimeout = TimeSpan.FromMinutes(5),
                };
                var receiver = new BounceReceiver(queues.Bounces!, store, loggerFactory.CreateLogger<BounceReceiver>(), TimeProvider.System);
                inbound = new SubmissionListener(listen, settings.HostName, queues, new ApiKeyService(serverStore!, TimeProvider.System), loggerFactory, TimeProvider.System)
                {
                    Bounces = receiver,
                };
            }
            return new MailServer(settings, queues, serverStore, transport, tlsState, worker, app, smtp, hooks) { _inbound = inbound, _gate = gate, _otlpAlone = app is null ? MetricsEndpoint.StartOtlpAlone(settings.Telemetry) : null };
        }
        catch
        {
            if (queues is not null)
            {
                await queues.DisposeAsync().ConfigureAwait(false);
            }
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }
            if (serverStore is not null)
            {
                await serverStore.DisposeAsync().ConfigureAwait(false);
            }
            await transport.DisposeAsync().ConfigureAwait(false);
            if (gate is not null)
            {
                await gate.DisposeAsync().ConfigureAwait(false);
            }
            await tlsState.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Starts the worker and, if configured, the SMTP and HTTP listeners.</summary>
    /// <exception cref="IOException">An HTTP or SMTP address is in use or cannot be bound.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        _webhooks.Start();
        _inbound?.Start();
        _smtp?.Start();
        if (_app is null)
        {
            await _worker.StartAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stops taking requests and SMTP sessions (in-flight ones finish), then stops the worker within the grace period.</summary>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        if (_smtp is not null)
        {
            await _smtp.StopAsync(_settings.Delivery.Grace, cancellationToken).ConfigureAwait(false);
        }
        if (_inbound is not null)
        {
            await _inbound.StopAsync(_settings.Delivery.Grace, cancellationToken).ConfigureAwait(false);
        }
        if (_app is null)
        {
            await new QueueWorkerService(_worker, _settings.Delivery.Grace).StopAsync(cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await _app.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        await _webhooks.StopAsync().ConfigureAwait(false);
    }

    /// <summary>Releases the listener, the stores and the transport.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_smtp is not null)
        {
            await _smtp.DisposeAsync().ConfigureAwait(false);
        }
        if (_inbound is not null)
        {
            await _inbound.DisposeAsync().ConfigureAwait(false);
        }
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
        await _worker.DisposeAsync().ConfigureAwait(false);
        await _webhooks.DisposeAsync().ConfigureAwait(false);
        IQueueStore store = _queues.WorkerQueue.Store;
        await _queues.DisposeAsync().ConfigureAwait(false);
        await store.DisposeAsync().ConfigureAwait(false);
        if (_serverStore is not null)
        {
            await _serverStore.DisposeAsync().ConfigureAwait(false);
        }
        await _transport.DisposeAsync().ConfigureAwait(false);
        _otlpAlone?.Dispose();
        if (_gate is not null)
        {
            await _gate.DisposeAsync().ConfigureAwait(false);
        }
        await _tlsState.DisposeAsync().ConfigureAwait(false);
    }

    private static WebApplication BuildApp(MailServerSettings settings, IReadOnlyList<IPEndPoint> endpoints, ILoggerFactory loggerFactory,
        SubmissionQueue queues, IServerStore serverStore, QueueWorker worker, ITlsReportStore tlsReports, TlsReportRecorder tlsRecorder, UnsubscribeLinks? unsubscribe,
        SmtpTransport transport, CaptureView? capture)
    {
        // Production always: the developer exception page (stack traces to clients) is never switched on by an environment variable.
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { EnvironmentName = Environments.Production, Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = settings.Delivery.Grace + TimeSpan.FromSeconds(10));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            foreach (var endpoint in endpoints)
            {
                kestrel.Listen(endpoint);
            }
            var limits = kestrel.Limits;
            limits.MaxRequestBodySize = settings.Http.MaxRequestBodySize;
            limits.RequestHeadersTimeout = settings.Http.RequestHeadersTimeout;
            limits.KeepAliveTimeout = settings.Http.KeepAliveTimeout;
            limits.MaxConcurrentConnections = settings.Http.MaxConcurrentConnections;
            limits.MinRequestBodyDataRate = new MinDataRate(settings.Http.MinRequestBodyDataRate, settings.Http.MinRequestBodyDataRateGracePeriod);
            limits.MaxRequestHeadersTotalSize = 32 * 1024;
        });

        var time = TimeProvider.System;
        builder.Services.AddSingleton(time);
        builder.Services.AddSingleton(queues);
        builder.Services.AddSingleton(transport);
        if (capture is not null)
        {
            builder.Services.AddSingleton(capture);
        }
        builder.Services.AddSingleton(serverStore);
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(tlsReports);
        builder.Services.AddSingleton(tlsRecorder);
        builder.Services.AddSingleton(sp => new ApiKeyService(serverStore, time));
        builder.Services.AddSingleton(sp => new IdempotencyGate(serverStore, time));
        if (unsubscribe is not null)
        {
            builder.Services.AddSingleton(unsubscribe);
        }
        builder.Services.AddSingleton<MessageSubmitter>();
        builder.Services.AddSingleton<ApiKeyFilter>();
        builder.Services.AddExceptionHandler<ApiExceptionHandler>();
        builder.Services.AddProblemDetails();
        builder.Services.AddOpenApi();
        builder.Services.AddHostedService(_ => new QueueWorkerService(worker, settings.Delivery.Grace));
        builder.Services.AddHostedService<IdempotencyPurgeService>();
        MetricsEndpoint.AddMetrics(builder.Services, settings.Telemetry);
        if (settings.Http.StatusPage)
        {
            StatusEndpoints.AddStatus(builder.Services, queues.WorkerQueue.Store, serverStore);
        }

        var app = builder.Build();
        app.UseExceptionHandler(new ExceptionHandlerOptions { SuppressDiagnosticsCallback = _ => true });
        app.UseStatusCodePages(async context =>
        {
            // 404 for an unknown path, 405 for a wrong method, 415: the same problem shape as every other error.
            var http = context.HttpContext;
            int status = http.Response.StatusCode;
            // 415 comes from routing (the endpoints declare application/json) before authentication.
            var problem = status switch
            {
                415 => new ApiProblem(415, "Unsupported media type", $"Send the request body as JSON with Content-Type: application/json (got {http.Request.ContentType ?? "none"}).", "Content-Type"),
                405 => new ApiProblem(405, "Method not allowed", $"{http.Request.Method} is not allowed on {http.Request.Path} (see /openapi/v1.json)."),
                404 => new ApiProblem(404, "Not found", $"{http.Request.Path} is not part of this API (see /openapi/v1.json)."),
                _ => new ApiProblem(status, "Error", $"{http.Request.Method} {http.Request.Path} failed with status {status}."),
            };
            await ApiOutcome.Problem(problem).WriteAsync(http).ConfigureAwait(false);
        });
        app.MapOpenApi();
        HealthEndpoints.Map(app);
        MetricsEndpoint.Map(app);
        MessageEndpoints.Map(app);
        TlsEndpoints.Map(app);
        EventEndpoints.Map(app);
        SuppressionEndpoints.Map(app);
        DestinationEndpoints.Map(app);
        if (capture is not null)
        {
            CaptureEndpoints.Map(app);
        }
        if (settings.Http.StatusPage)
        {
            StatusEndpoints.Map(app);
        }
        if (unsubscribe is not null)
        {
            UnsubscribeEndpoints.Map(app);
        }
        return app;
    }

    internal static List<IPEndPoint> ParseListen(string listen)
    {
        var endpoints = ListenEndpoints.Parse([listen], "Http:Listen / --http", 8025);
        if (endpoints.Count == 0)
        {
            throw new ServerConfigurationException("Http:Listen / --http: give ADDRESS:PORT or \"none\".");
        }
        return endpoints;
    }

    internal static string Describe(IPEndPoint endpoint) => string.Create(CultureInfo.InvariantCulture, $"http://{endpoint}");
}
