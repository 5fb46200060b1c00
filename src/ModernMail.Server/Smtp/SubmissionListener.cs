using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging;
using ModernMail.Server.Configuration;
using ModernMail.Server.Internal;
using ModernMail.Server.Keys;
using ModernMail.Server.Submission;

using ModernMail.Server.Unsubscribe;

namespace ModernMail.Server.Smtp;

/// <summary>The SMTP submission listener: accepts connections on the configured addresses and runs a <see cref="SubmissionSession"/> for each.</summary>
/// <remarks>Our own implementation rather than the SmtpServer package: version 11.1 buffers DATA without a bound unless its
/// strict size mode is on, and then drops the 552 reply; it has no timeout inside DATA, no command line limit below the
/// message size, no connection limit, and replies without enhanced status codes. Each of those is a requirement here.</remarks>
internal sealed class SubmissionListener : IAsyncDisposable
{
    private readonly List<(IPEndPoint EndPoint, bool ImplicitTls)> _bindings = [];
    private readonly List<Socket> _sockets = [];
    private readonly List<Task> _acceptLoops = [];
    private readonly ConcurrentDictionary<SubmissionSession, Task> _sessions = new();
    private readonly CancellationTokenSource _stopAccepting = new();
    private readonly CancellationTokenSource _shutdown = new();
    private readonly CancellationTokenSource _abort = new();
    private readonly X509Certificate2 _certificate;
    private int _open;

    /// <exception cref="ServerConfigurationException">A listen address or the certificate is invalid.</exception>
    public SubmissionListener(SmtpSettings settings, string hostName, SubmissionQueue queues, ApiKeyService keys, ILoggerFactory loggers, TimeProvider time)
    {
        Validate(settings);
        Settings = settings;
        HostName = hostName;
        Queues = queues;
        Keys = keys;
        Time = time;
        Logger = loggers.CreateLogger<SubmissionListener>();
        AuthFailures = new AuthFailureTracker(settings.MaxAuthFailures, settings.AuthFailureWindow, settings.AuthBlockDuration, time);
        foreach (var endpoint in ListenEndpoints.Parse(settings.StartTlsEndpoints, "Smtp:Listen / --smtp", 2587))
        {
            _bindings.Add((endpoint, false));
        }
        foreach (var endpoint in ListenEndpoints.Parse(settings.ImplicitTlsListen, "Smtp:ImplicitTlsListen", 2465))
        {
            _bindings.Add((endpoint, true));
        }
        _certificate = ServerCertificate.Load(settings, hostName, time);
        TlsOptions = new SslServerAuthenticationOptions
        {
            ServerCertificate = _certificate,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            ClientCertificateRequired = false,
        };
    }

    public SmtpSettings Settings { get; }

    public string HostName { get; }

    public SubmissionQueue Queues { get; }

    /// <summary>The one-click unsubscribe links for messages that ask for them (header X-ModernMail-Unsubscribe); null without the HTTP API.</summary>
    public UnsubscribeLinks? Unsubscribe { get; init; }

    /// <summary>Set for the bounce domain's listener (<see cref="Configuration.InboundSettings"/>): then the sessions take reports, not
    /// submissions.</summary>
    public Bounces.BounceReceiver? Bounces { get; init; }

    public ApiKeyService Keys { get; }

    public TimeProvider Time { get; }

    public ILogger Logger { get; }

    public AuthFailureTracker AuthFailures { get; }

    public SslServerAuthenticationOptions TlsOptions { get; }

    /// <summary>The bound addresses with their TLS mode, once started (the real port when 0 was configured).</summary>
    public IReadOnlyList<(IPEndPoint EndPoint, bool ImplicitTls)> LocalEndPoints { get; private set; } = [];

    /// <summary>Binds every listener and starts accepting.</summary>
    /// <exception cref="IOException">An address is in use or cannot be bound.</exception>
    public void Start()
    {
        var bound = new List<(IPEndPoint, bool)>();
        try
        {
            foreach (var (endpoint, implicitTls) in _bindings)
            {
                var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
                _sockets.Add(socket);
                socket.Bind(endpoint);
                socket.Listen(512);
                bound.Add(((IPEndPoint)socket.LocalEndPoint!, implicitTls)); // A bound socket has a local end point.
            }
        }
        catch (SocketException ex)
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
            _sockets.Clear();
            throw new IOException($"SMTP: cannot listen on {string.Join(", ", _bindings.Select(b => b.EndPoint))}: {ex.Message}", ex);
        }
        LocalEndPoints = bound;
        for (int i = 0; i < _sockets.Count; i++)
        {
            Socket socket = _sockets[i];
            bool implicitTls = bound[i].Item2;
            _acceptLoops.Add(Task.Run(() => AcceptAsync(socket, implicitTls)));
        }
    }

    /// <summary>Stops accepting; sessions waiting for a command get 421, sessions inside a message may finish it within <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace, CancellationToken cancellationToken)
    {
        await _stopAccepting.CancelAsync().ConfigureAwait(false);
        foreach (var socket in _sockets)
        {
            socket.Dispose();
        }
        await Task.WhenAll(_acceptLoops).ConfigureAwait(false);
        await _shutdown.CancelAsync().ConfigureAwait(false);
        try
        {
            await Task.WhenAll(_sessions.Values).WaitAsync(grace, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            await _abort.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(_sessions.Values).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task AcceptAsync(Socket listener, bool implicitTls)
    {
        while (!_stopAccepting.IsCancellationRequested)
        {
            Socket client;
            try
            {
                client = await listener.AcceptAsync(_stopAccepting.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException || (ex is SocketException && _stopAccepting.IsCancellationRequested))
            {
                return;
            }
            catch (SocketException ex)
            {
                // A connection reset before accept completed, or out of descriptors: keep listening.
                ServerLog.SmtpAcceptFailed(Logger, ex.Message);
                continue;
            }
            client.NoDelay = true;
            if (Interlocked.Increment(ref _open) > Settings.MaxConnections)
            {
                Interlocked.Decrement(ref _open);
                _ = RefuseAsync(client, implicitTls);
                continue;
            }
            var session = new SubmissionSession(this, client, implicitTls, _shutdown.Token);
            _sessions[session] = RunAsync(session);
        }
    }

    private async Task RunAsync(SubmissionSession session)
    {
        // Off the accept loop at once: the session's first await may complete synchronously.
        await Task.Yield();
        try
        {
            await session.RunAsync(_abort.Token).ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _open);
            _sessions.TryRemove(session, out _);
        }
    }

    /// <summary>Over the connection limit: a 421 (in clear text; over implicit TLS just a close) and nothing else.</summary>
    private async Task RefuseAsync(Socket client, bool implicitTls)
    {
        try
        {
            if (!implicitTls)
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5), Time);
                await client.SendAsync("421 4.3.2 Too many connections; try again later\r\n"u8.ToArray(), SocketFlags.None, timeout.Token).ConfigureAwait(false);
            }
            client.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException or ObjectDisposedException)
        {
            // Closing anyway.
        }
        finally
        {
            client.Dispose();
        }
        ServerLog.SmtpConnectionRefused(Logger, Settings.MaxConnections);
    }

    private static void Validate(SmtpSettings settings)
    {
        static void Positive(TimeSpan value, string name)
        {
            if (value <= TimeSpan.Zero)
            {
                throw new ServerConfigurationException($"Smtp:{name}: must be positive (hh:mm:ss), got {value}.");
            }
        }
        static void AtLeast(long value, long minimum, string name)
        {
            if (value < minimum)
            {
                throw new ServerConfigurationException(FormattableString.Invariant($"Smtp:{name}: must be at least {minimum}, got {value}."));
            }
        }
        AtLeast(settings.MaxMessageSize, 1024, nameof(settings.MaxMessageSize));
        // The parts of a message live in one byte array.
        if (settings.MaxMessageSize > Array.MaxLength / 2)
        {
            throw new ServerConfigurationException(FormattableString.Invariant($"Smtp:MaxMessageSize: at most {Array.MaxLength / 2} bytes."));
        }
        AtLeast(settings.MaxRecipients, 1, nameof(settings.MaxRecipients));
        AtLeast(settings.MaxCommandLength, 512, nameof(settings.MaxCommandLength));
        AtLeast(settings.MaxConnections, 1, nameof(settings.MaxConnections));
        AtLeast(settings.MaxAuthFailures, 1, nameof(settings.MaxAuthFailures));
        Positive(settings.CommandTimeout, nameof(settings.CommandTimeout));
        Positive(settings.DataTimeout, nameof(settings.DataTimeout));
        Positive(settings.AuthFailureWindow, nameof(settings.AuthFailureWindow));
        Positive(settings.AuthBlockDuration, nameof(settings.AuthBlockDuration));
    }

    public async ValueTask DisposeAsync()
    {
        if (!_stopAccepting.IsCancellationRequested)
        {
            await StopAsync(TimeSpan.Zero, CancellationToken.None).ConfigureAwait(false);
        }
        _certificate.Dispose();
        _stopAccepting.Dispose();
        _shutdown.Dispose();
        _abort.Dispose();
    }
}
