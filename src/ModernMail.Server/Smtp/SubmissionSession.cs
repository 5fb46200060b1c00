using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using Microsoft.Extensions.Logging;
using ModernMail.Server.Internal;
using ModernMail.Server.Storage;

namespace ModernMail.Server.Smtp;

/// <summary>One SMTP submission connection (RFC 6409): greeting, command loop, STARTTLS, AUTH and mail transactions.</summary>
/// <remarks>
/// Replies are buffered and sent when the server is about to wait for input, so a pipelining client (RFC 2920) gets one
/// write per batch. Every wait has a deadline (<see cref="Configuration.SmtpSettings.CommandTimeout"/> per command line,
/// <see cref="Configuration.SmtpSettings.DataTimeout"/> for the whole message) and every input has a size limit, so one
/// client costs at most its own connection. Exceptions never reach the client: they end the session with 421.
/// </remarks>
internal sealed partial class SubmissionSession
{
    /// <summary>Bad commands in one session after which it is closed (Postfix's smtpd_hard_error_limit).</summary>
    private const int MaxErrors = 20;

    private readonly SubmissionListener _listener;
    private readonly Socket _socket;
    private readonly IPEndPoint _remote;
    private readonly bool _implicitTls;
    private readonly CancellationToken _shutdown;
    private readonly ArrayBufferWriter<byte> _output = new(1024);
    private Stream _stream;
    private PipeReader _reader;
    private bool _isTls;
    private SessionState _state = SessionState.Connected;
    private StoredApiKey? _key;
    private int _errors;

    public SubmissionSession(SubmissionListener listener, Socket socket, bool implicitTls, CancellationToken shutdown)
    {
        _listener = listener;
        _socket = socket;
        _remote = socket.RemoteEndPoint as IPEndPoint ?? new IPEndPoint(IPAddress.None, 0);
        _implicitTls = implicitTls;
        _shutdown = shutdown;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
    }

    private enum SessionState
    {
        /// <summary>Before EHLO/HELO (again after STARTTLS).</summary>
        Connected,

        /// <summary>After EHLO/HELO, no transaction.</summary>
        Greeted,

        /// <summary>MAIL accepted, no recipient yet.</summary>
        Mail,

        /// <summary>At least one RCPT accepted: DATA may follow.</summary>
        Recipients,
    }

    private Configuration.SmtpSettings Settings => _listener.Settings;

    private string HostName => _listener.HostName;

    /// <summary>Set on the bounce domain's listener: no AUTH, RCPT only for VERP addresses, DATA read as a report.</summary>
    private Bounces.BounceReceiver? Inbound => _listener.Bounces;

    private IPAddress ClientAddress => _remote.Address.IsIPv4MappedToIPv6 ? _remote.Address.MapToIPv4() : _remote.Address;

    /// <summary>Runs the session until the client quits, misbehaves, times out, or <paramref name="abort"/> is cancelled.</summary>
    public async Task RunAsync(CancellationToken abort)
    {
        try
        {
            if (_implicitTls)
            {
                // Nothing was read in clear text: the reader over the raw stream is replaced by one over TLS.
                await _reader.CompleteAsync().ConfigureAwait(false);
                if (!await HandshakeAsync(abort).ConfigureAwait(false))
                {
                    return;
                }
            }
            if (_listener.AuthFailures.IsBlocked(ClientAddress))
            {
                Reply("421 4.7.0 Too many failed logins from your address; try again later");
                await FlushAsync(abort).ConfigureAwait(false);
                return;
            }
            Reply(Inbound is null ? $"220 {HostName} ESMTP ModernMail submission ready" : $"220 {HostName} ESMTP ModernMail bounce receiver ready");
            while (await NextCommandAsync(abort).ConfigureAwait(false))
            {
                if (_errors >= MaxErrors)
                {
                    Reply("421 4.7.0 Too many errors; closing the connection");
                    break;
                }
            }
            await FlushAsync(abort).ConfigureAwait(false);
        }
        catch (SmtpLineTooLongException ex)
        {
            await TryReplyAsync($"500 5.5.2 {ex.Message}; closing the connection", abort).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or AuthenticationException)
        {
            // The client went away or broke the connection: nothing to answer.
            ServerLog.SmtpConnectionLost(_listener.Logger, _remote.ToString(), ex.Message);
        }
        catch (OperationCanceledException) when (abort.IsCancellationRequested)
        {
            // Hard stop after the shutdown grace period.
        }
        catch (Exception ex)
        {
            ServerLog.SmtpSessionFailed(_listener.Logger, ex, _remote.ToString());
            await TryReplyAsync("421 4.3.0 Internal error; closing the connection", abort).ConfigureAwait(false);
        }
        finally
        {
            await CloseAsync().ConfigureAwait(false);
            await _reader.CompleteAsync().ConfigureAwait(false);
            await _stream.DisposeAsync().ConfigureAwait(false);
            _socket.Dispose();
        }
    }

    /// <summary>Ends the connection so the last reply is read: TLS close_notify, FIN, then a short lingering read of whatever the
    /// client still sends (closing with unread input makes the kernel send a reset, which can destroy the reply in flight).</summary>
    private async Task CloseAsync()
    {
        byte[] sink = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            if (_stream is SslStream tls)
            {
                using var notify = new CancellationTokenSource(TimeSpan.FromSeconds(2), _listener.Time);
                await tls.ShutdownAsync().WaitAsync(notify.Token).ConfigureAwait(false);
            }
            _socket.Shutdown(SocketShutdown.Send);
            using var linger = new CancellationTokenSource(TimeSpan.FromSeconds(2), _listener.Time);
            for (long total = 0; total < 1024 * 1024;)
            {
                int n = await _socket.ReceiveAsync(sink, SocketFlags.None, linger.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    break;
                }
                total += n;
            }
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException or TimeoutException)
        {
            // Closing anyway.
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(sink);
        }
    }

    /// <summary>Reads and executes one command; false when the session is over.</summary>
    private async Task<bool> NextCommandAsync(CancellationToken abort)
    {
        string? line;
        using (var timeout = new CancellationTokenSource(Settings.CommandTimeout, _listener.Time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(abort, _shutdown, timeout.Token))
        {
            try
            {
                line = await ReadLineAsync(linked.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !abort.IsCancellationRequested)
            {
                Reply($"421 4.4.2 {HostName} Timeout waiting for a command; closing the connection");
                return false;
            }
            catch (OperationCanceledException) when (_shutdown.IsCancellationRequested && !abort.IsCancellationRequested)
            {
                Reply($"421 4.3.2 {HostName} Shutting down; try again later");
                return false;
            }
        }
        if (line is null)
        {
            return false;
        }
        int space = line.IndexOf(' ', StringComparison.Ordinal);
        string verb = (space < 0 ? line : line[..space]).ToUpperInvariant();
        string arguments = space < 0 ? "" : line[(space + 1)..].Trim(' ');
        switch (verb)
        {
            case "EHLO":
                Hello(arguments, extended: true);
                return true;
            case "HELO":
                Hello(arguments, extended: false);
                return true;
            case "STARTTLS":
                return await StartTlsAsync(arguments, abort).ConfigureAwait(false);
            case "AUTH" when Inbound is not null:
                Reply("502 5.5.1 AUTH is not offered here: this server takes reports for its bounce addresses only");
                return true;
            case "AUTH":
                return await AuthAsync(arguments, abort).ConfigureAwait(false);
            case "MAIL":
                Mail(arguments);
                return true;
            case "RCPT":
                await RecipientAsync(arguments, abort).ConfigureAwait(false);
                return true;
            case "DATA":
                return await DataAsync(arguments, abort).ConfigureAwait(false);
            case "RSET":
                ResetTransaction();
                Reply("250 2.0.0 Ok");
                return true;
            case "NOOP":
                Reply("250 2.0.0 Ok");
                return true;
            case "QUIT":
                Reply($"221 2.0.0 {HostName} Bye");
                return false;
            case "VRFY":
                Reply("252 2.5.0 Cannot VRFY a user; send mail and it will be delivered or bounced");
                return true;
            case "HELP":
                Reply("214 2.0.0 RFC 6409 submission: EHLO, STARTTLS, AUTH PLAIN|LOGIN (user = key name, password = key secret), MAIL, RCPT, DATA, QUIT");
                return true;
            default:
                Reply("500 5.5.2 Command unrecognized");
                return true;
        }
    }

    private void Hello(string arguments, bool extended)
    {
        if (arguments.Length == 0)
        {
            Reply(extended ? "501 5.5.4 Syntax: EHLO hostname" : "501 5.5.4 Syntax: HELO hostname");
            return;
        }
        // A new EHLO is an implicit RSET (RFC 5321 §4.1.4); authentication stays.
        ResetTransaction();
        _state = SessionState.Greeted;
        if (!extended)
        {
            Reply($"250 {HostName}");
            return;
        }
        Reply($"250-{HostName} at your service");
        Reply("250-PIPELINING");
        Reply($"250-SIZE {Settings.MaxMessageSize.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        Reply("250-8BITMIME");
        if (!_isTls)
        {
            Reply("250-STARTTLS");
        }
        else if (Inbound is null)
        {
            // RFC 4954 §4 and RFC 8314: credentials only over TLS, so AUTH is not even offered before it.
            Reply("250-AUTH PLAIN LOGIN");
            // RFC 8689 §4.1: REQUIRETLS is offered only over TLS.
            Reply("250-REQUIRETLS");
        }
        Reply("250 ENHANCEDSTATUSCODES");
    }

    /// <summary>Queues one reply line (CRLF added); 4xx and 5xx replies count toward <see cref="MaxErrors"/>.</summary>
    private void Reply(string line)
    {
        if (line.Length > 0 && line[0] is '4' or '5')
        {
            _errors++;
        }
        if (line.AsSpan().IndexOfAnyInRange('\0', '\u001f') >= 0)
        {
            // Reply text can quote a client's bytes (a header line in an error): a CR or LF there would forge reply lines.
            line = string.Create(line.Length, line, static (span, text) =>
            {
                for (int i = 0; i < text.Length; i++)
                {
                    span[i] = text[i] < ' ' ? '?' : text[i];
                }
            });
        }
        int count = Encoding.UTF8.GetByteCount(line);
        Span<byte> span = _output.GetSpan(count + 2);
        Encoding.UTF8.GetBytes(line, span);
        span[count] = (byte)'\r';
        span[count + 1] = (byte)'\n';
        _output.Advance(count + 2);
    }

    /// <summary>Sends the queued replies; a client that does not read them within the command timeout is cut off.</summary>
    private async Task FlushAsync(CancellationToken abort)
    {
        if (_output.WrittenCount == 0)
        {
            return;
        }
        using var timeout = new CancellationTokenSource(Settings.CommandTimeout, _listener.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(abort, timeout.Token);
        try
        {
            await _stream.WriteAsync(_output.WrittenMemory, linked.Token).ConfigureAwait(false);
            await _stream.FlushAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !abort.IsCancellationRequested)
        {
            throw new IOException("The client did not read the replies within the command timeout.");
        }
        finally
        {
            _output.ResetWrittenCount();
        }
    }

    /// <summary>A last reply before closing, best effort: the connection may be broken already.</summary>
    private async Task TryReplyAsync(string line, CancellationToken abort)
    {
        try
        {
            Reply(line);
            await FlushAsync(abort).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // Closing anyway.
        }
    }

    /// <summary>Reads one line (CRLF or LF ended, terminator removed); null when the client closed the connection.</summary>
    /// <exception cref="SmtpLineTooLongException">The line is longer than <see cref="Configuration.SmtpSettings.MaxCommandLength"/>.</exception>
    private async ValueTask<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        int max = Settings.MaxCommandLength;
        bool first = true;
        while (true)
        {
            // Replies go out only when no complete command is waiting: a pipelined batch gets one write.
            if (!first || !_reader.TryRead(out ReadResult result))
            {
                await FlushAsync(cancellationToken).ConfigureAwait(false);
                result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            first = false;
            ReadOnlySequence<byte> buffer = result.Buffer;
            SequencePosition? lf = buffer.PositionOf((byte)'\n');
            if (lf is { } end)
            {
                ReadOnlySequence<byte> line = buffer.Slice(0, end);
                if (line.Length + 1 > max)
                {
                    _reader.AdvanceTo(buffer.Start, buffer.End);
                    throw new SmtpLineTooLongException(max);
                }
                string text = Encoding.UTF8.GetString(line);
                _reader.AdvanceTo(buffer.GetPosition(1, end));
                return text.EndsWith('\r') ? text[..^1] : text;
            }
            if (buffer.Length >= max)
            {
                _reader.AdvanceTo(buffer.Start, buffer.End);
                throw new SmtpLineTooLongException(max);
            }
            if (result.IsCompleted)
            {
                _reader.AdvanceTo(buffer.End);
                return null;
            }
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private void ResetTransaction()
    {
        _sender = null;
        _requireTls = false;
        _recipients.Clear();
        _seen.Clear();
        if (_state > SessionState.Greeted)
        {
            _state = SessionState.Greeted;
        }
    }
}
