using System.IO.Pipelines;
using System.Net.Security;
using System.Security.Authentication;
using ModernMail.Server.Internal;

namespace ModernMail.Server.Smtp;

internal sealed partial class SubmissionSession
{
    private async Task<bool> StartTlsAsync(string arguments, CancellationToken abort)
    {
        if (_isTls)
        {
            Reply("503 5.5.1 TLS is already active");
            return true;
        }
        if (arguments.Length > 0)
        {
            Reply("501 5.5.4 Syntax: STARTTLS");
            return true;
        }
        Reply("220 2.0.0 Ready to start TLS");
        await FlushAsync(abort).ConfigureAwait(false);
        // Whatever the client sent after STARTTLS in clear text is dropped, never read as a command inside TLS
        // (RFC 3207 §5 forbids pipelining past STARTTLS; executing it is the CVE-2011-0411 injection).
        if (_reader.TryRead(out ReadResult pending))
        {
            _reader.AdvanceTo(pending.Buffer.End);
        }
        await _reader.CompleteAsync().ConfigureAwait(false);
        if (!await HandshakeAsync(abort).ConfigureAwait(false))
        {
            return false;
        }
        // RFC 3207 §4.2: the session starts over; the client must EHLO again and nothing it said before counts.
        ResetTransaction();
        _state = SessionState.Connected;
        _key = null;
        return true;
    }

    /// <summary>Wraps the connection in TLS as the server; false (after logging) when the handshake fails or takes too long.</summary>
    private async Task<bool> HandshakeAsync(CancellationToken abort)
    {
        var tls = new SslStream(_stream, leaveInnerStreamOpen: false);
        using var timeout = new CancellationTokenSource(Settings.CommandTimeout, _listener.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(abort, timeout.Token);
        try
        {
            await tls.AuthenticateAsServerAsync(_listener.TlsOptions, linked.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException || (ex is OperationCanceledException && timeout.IsCancellationRequested && !abort.IsCancellationRequested))
        {
            ServerLog.SmtpTlsFailed(_listener.Logger, _remote.ToString(), ex is OperationCanceledException ? "handshake timed out" : ex.Message);
            await tls.DisposeAsync().ConfigureAwait(false);
            return false;
        }
        _stream = tls;
        _reader = PipeReader.Create(tls, new StreamPipeReaderOptions(leaveOpen: true));
        _isTls = true;
        return true;
    }
}
