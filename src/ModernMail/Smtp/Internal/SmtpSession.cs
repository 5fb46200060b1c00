using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Microsoft.Extensions.Logging;
using ModernMail.Delivery.Internal;
using ModernMail.Internal;
using ModernMail.Tls.Internal;

namespace ModernMail.Smtp.Internal;

/// <summary>One client connection to one mail exchanger: greeting, EHLO, STARTTLS, transactions, QUIT.</summary>
/// <remarks>Not thread-safe: one transaction at a time. Any protocol error, timeout or 421 marks it <see cref="SmtpSessionState.Broken"/>.
/// Replies are matched to commands by order alone, so anything the server sends out of turn (input waiting before we
/// send, or a reply of the wrong class for its command) breaks the session and sets <see cref="OutOfTurn"/>.</remarks>
internal sealed partial class SmtpSession : IAsyncDisposable
{
    /// <summary>How much of an out-of-turn reply an error message quotes.</summary>
    private const int ExcerptLength = 80;

    private readonly Socket _socket;
    private readonly NetworkStream _network;
    private readonly SmtpTimeouts _timeouts;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ArrayBufferWriter<byte> _command = new(1024);
    private Stream _stream;
    private PipeReader _reader;
    private SslStream? _tls;

    private SmtpSession(Socket socket, string mxHost, IPEndPoint endPoint, SmtpTimeouts timeouts, TimeProvider time, ILogger logger)
    {
        _socket = socket;
        _network = new NetworkStream(socket, ownsSocket: true);
        _stream = _network;
        _reader = PipeReader.Create(_network, new StreamPipeReaderOptions(leaveOpen: true));
        MxHost = mxHost;
        EndPoint = endPoint;
        Peer = $"{mxHost} [{endPoint}]";
        _timeouts = timeouts;
        _time = time;
        _logger = logger;
        CreatedAt = time.GetTimestamp();
    }

    /// <summary>The mail exchanger's host name (or the route's host).</summary>
    public string MxHost { get; }

    /// <summary>The address we connected to.</summary>
    public IPEndPoint EndPoint { get; }

    /// <summary>"host [address]" for messages and logs.</summary>
    public string Peer { get; }

    public SmtpSessionState State { get; private set; } = SmtpSessionState.Greeted;

    public SmtpCapabilities Capabilities { get; private set; } = SmtpCapabilities.None;

    /// <summary>True once STARTTLS succeeded.</summary>
    public bool IsTls => _tls is not null;

    public SslProtocols TlsProtocol => _tls?.SslProtocol ?? SslProtocols.None;

    public string? TlsCipher => _tls?.NegotiatedCipherSuite.ToString();

    /// <summary>Set when STARTTLS failed and this is the clear-text reconnection (opportunistic TLS).</summary>
    public string? TlsFallbackReason { get; set; }

    /// <summary>True when the server certificate validated (chain and name, or its TLSA records).</summary>
    public bool CertificateValid => Certificate.Valid;

    /// <summary>The verdict on the server's certificate; <see cref="CertificateVerdict.NotChecked"/> before TLS.</summary>
    public CertificateVerdict Certificate { get; private set; } = CertificateVerdict.NotChecked;

    /// <summary>Called once when the connection closes: gives back the traffic-shaping slot it holds.</summary>
    public Action? Closed { get; set; }

    /// <summary>The destination's limit of messages on one connection (traffic shaping), if lower than the pool's.</summary>
    public int? MaxMessages { get; set; }

    /// <summary>How many transactions reached the final "." reply on this connection.</summary>
    public int MessagesSent { get; private set; }

    /// <summary>When the connection was made (a <see cref="TimeProvider"/> timestamp).</summary>
    public long CreatedAt { get; }

    /// <summary>The 220 greeting.</summary>
    public SmtpReply? Greeting { get; private set; }

    /// <summary>True once the server sent something out of turn: from then on no reply can be trusted to answer the command it follows.</summary>
    public bool OutOfTurn { get; private set; }

    /// <summary>The <see cref="SmtpTimeoutException.Command"/> of a TLS handshake that timed out.</summary>
    public const string TlsHandshakeStage = "TLS handshake";

    /// <summary>Connects, reads the greeting and expects 220.</summary>
    /// <exception cref="SmtpReplyException">The greeting was not 220 (for example 421 or 554).</exception>
    /// <exception cref="SmtpConnectException">The TCP connection could not be opened (refused, unreachable).</exception>
    /// <exception cref="SmtpTimeoutException">Connecting or the greeting took too long.</exception>
    /// <exception cref="SmtpProtocolException">The connection broke during the greeting or the greeting was not SMTP.</exception>
    public static async Task<SmtpSession> ConnectAsync(string mxHost, IPEndPoint endPoint, SmtpTimeouts timeouts, TimeProvider time, ILogger logger, CancellationToken cancellationToken,
        IPAddress? localAddress = null)
    {
        using var activity = Diagnostics.MailTelemetry.Source.StartActivity("connect", System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("server.address", mxHost);
        activity?.SetTag("network.peer.address", endPoint.Address.ToString());
        var socket = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        string peer = $"{mxHost} [{endPoint}]";
        SmtpLog.Connecting(logger, peer);
        try
        {
            using (var timeout = new CancellationTokenSource(timeouts.Connect, time))
            using (var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token))
            {
                try
                {
                    if (localAddress is not null)
                    {
                        // A source address of a pool (traffic shaping): the receiver sees, and rates, this address.
                        socket.Bind(new IPEndPoint(localAddress, 0));
                    }
                    await socket.ConnectAsync(endPoint, linked.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw new SmtpTimeoutException("connect", timeouts.Connect, peer);
                }
                catch (SocketException ex)
                {
                    throw new SmtpConnectException($"connect to {peer} failed: {ex.Message}", ex);
                }
            }
        }
        catch
        {
            socket.Dispose();
            throw;
        }
        var session = new SmtpSession(socket, mxHost, endPoint, timeouts, time, logger);
        SmtpLog.Connected(logger, peer);
        try
        {
            var greeting = await session.ReadReplyAsync("greeting", timeouts.Greeting, PositiveClass.Completion, cancellationToken).ConfigureAwait(false);
            session.Greeting = greeting;
            if (greeting.Code != 220)
            {
                session.State = SmtpSessionState.Broken;
                throw new SmtpReplyException(greeting, "greeting", session.Peer);
            }
            return session;
        }
        catch
        {
            await session.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Sends EHLO (HELO when EHLO gets a 5xx) and records the server's extensions.</summary>
    /// <exception cref="SmtpReplyException">Both EHLO and HELO were refused.</exception>
    public async Task HelloAsync(string hostName, CancellationToken cancellationToken)
    {
        var reply = await CommandAsync("EHLO", "EHLO ", hostName, _timeouts.Command, PositiveClass.Completion, cancellationToken).ConfigureAwait(false);
        if (reply.Code == 250)
        {
            Capabilities = SmtpCapabilities.Parse(reply.Lines);
            State = SmtpSessionState.Ready;
            return;
        }
        if (reply.IsPermanent)
        {
            reply = await CommandAsync("HELO", "HELO ", hostName, _timeouts.Command, PositiveClass.Completion, cancellationToken).ConfigureAwait(false);
            if (reply.Code == 250)
            {
                Capabilities = SmtpCapabilities.None;
                State = SmtpSessionState.Ready;
                return;
            }
        }
        throw Refused(reply, "EHLO");
    }

    /// <summary>Upgrades the connection with STARTTLS (RFC 3207); the caller must send EHLO again afterwards.</summary>
    /// <exception cref="SmtpReplyException">The server refused STARTTLS.</exception>
    /// <exception cref="SmtpTlsException">The TLS handshake failed; the connection is dead.</exception>
    /// <exception cref="SmtpTimeoutException">The TLS handshake took longer than the command timeout (stage <see cref="TlsHandshakeStage"/>); the connection is dead.</exception>
    /// <param name="check">Judges the server's certificate; the verdict is kept in <see cref="Certificate"/>, the handshake completes either way.</param>
    /// <param name="cancellationToken">Cancels the command and the handshake.</param>
    public async Task StartTlsAsync(CertificateCheck check, CancellationToken cancellationToken)
    {
        using var activity = Diagnostics.MailTelemetry.Source.StartActivity("tls", System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("server.address", MxHost);
        var reply = await CommandAsync("STARTTLS", "STARTTLS", null, _timeouts.Command, PositiveClass.Completion, cancellationToken).ConfigureAwait(false);
        if (reply.Code != 220)
        {
            throw Refused(reply, "STARTTLS");
        }
        // Anything the server sent after its 220 would be injected into the TLS session (CVE-2011-0411 style).
        if (_reader.TryRead(out var leftover))
        {
            bool extra = !leftover.Buffer.IsEmpty;
            _reader.AdvanceTo(leftover.Buffer.Start);
            if (extra)
            {
                State = SmtpSessionState.Broken;
                throw new SmtpTlsException($"STARTTLS to {Peer}: the server sent data after its 220 reply");
            }
        }
        await _reader.CompleteAsync().ConfigureAwait(false);
        var tls = new SslStream(_network, leaveInnerStreamOpen: true);
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = MxHost,
            CertificateChainPolicy = check.ChainPolicy,
            // MTAs deliver to servers with self-signed or mismatched certificates (RFC 7435 opportunistic security):
            // we accept, keep the verdict, and the transport refuses the session when a policy demands a valid one.
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
            {
                Certificate = check.Check(MxHost, certificate, chain, errors);
                return true;
            },
        };
        using var timeout = new CancellationTokenSource(_timeouts.Command, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await tls.AuthenticateAsClientAsync(options, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            State = SmtpSessionState.Broken;
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new SmtpTimeoutException(TlsHandshakeStage, _timeouts.Command, Peer);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException or SocketException)
        {
            State = SmtpSessionState.Broken;
            await tls.DisposeAsync().ConfigureAwait(false);
            throw new SmtpTlsException($"TLS handshake with {Peer} failed: {ex.Message}", ex);
        }
        _tls = tls;
        _stream = tls;
        _reader = PipeReader.Create(tls, new StreamPipeReaderOptions(leaveOpen: true));
        State = SmtpSessionState.Greeted;
        Capabilities = SmtpCapabilities.None;
        SmtpLog.TlsEstablished(_logger, Peer, tls.SslProtocol.ToString(), tls.NegotiatedCipherSuite.ToString(), CertificateValid);
    }

    /// <summary>Sends RSET; the session is ready for a new transaction when it returns.</summary>
    public async Task ResetAsync(CancellationToken cancellationToken)
    {
        var reply = await CommandAsync("RSET", "RSET", null, _timeouts.Command, PositiveClass.Completion, cancellationToken).ConfigureAwait(false);
        if (reply.Code != 250)
        {
            State = SmtpSessionState.Broken;
            throw Refused(reply, "RSET");
        }
        State = SmtpSessionState.Ready;
    }

    /// <summary>Sends QUIT and closes the connection, ignoring any failure (the server may already be gone).</summary>
    public async Task QuitAsync(CancellationToken cancellationToken)
    {
        if (State is SmtpSessionState.Ready or SmtpSessionState.Greeted)
        {
            try
            {
                await CommandAsync("QUIT", "QUIT", null, _timeouts.Command, PositiveClass.Any, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ModernMailException or IOException or OperationCanceledException or ObjectDisposedException)
            {
                // Best effort: the transaction results are already decided.
            }
        }
        await DisposeAsync().ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (State == SmtpSessionState.Closed)
        {
            return;
        }
        State = SmtpSessionState.Closed;
        try
        {
            await _reader.CompleteAsync().ConfigureAwait(false);
            if (_tls is not null)
            {
                await _tls.DisposeAsync().ConfigureAwait(false);
            }
            await _network.DisposeAsync().ConfigureAwait(false);
            _socket.Dispose();
        }
        finally
        {
            Closed?.Invoke();
            Closed = null;
        }
    }

    /// <summary>Marks the session broken (it will never be reused).</summary>
    public void MarkBroken()
    {
        if (State != SmtpSessionState.Closed)
        {
            State = SmtpSessionState.Broken;
        }
    }

    private SmtpReplyException Refused(SmtpReply reply, string command)
    {
        if (reply.Code == 421)
        {
            State = SmtpSessionState.Broken;
        }
        return new SmtpReplyException(reply, command, Peer);
    }
}
