using System.Buffers;
using System.IO.Pipelines;
using System.Net.Sockets;
using System.Text;
using ModernMail.Internal;

namespace ModernMail.Smtp.Internal;

internal sealed partial class SmtpSession
{
    /// <summary>Sends "verb argument" CRLF and reads the reply.</summary>
    private async Task<SmtpReply> CommandAsync(string name, string verb, string? argument, TimeSpan timeout, PositiveClass expected, CancellationToken cancellationToken)
    {
        _command.ResetWrittenCount();
        AppendLine(verb, argument);
        await FlushCommandsAsync(name, cancellationToken).ConfigureAwait(false);
        return await ReadReplyAsync(name, timeout, expected, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The class (first digit) of the positive reply a command expects; negative replies (4xx, 5xx) are valid for every command.</summary>
    private enum PositiveClass
    {
        /// <summary>Any reply will do (QUIT: we are leaving either way).</summary>
        Any = 0,

        /// <summary>2xx: every command but DATA (RFC 5321 §4.3.2).</summary>
        Completion = 2,

        /// <summary>3xx: DATA's 354, the only intermediate reply we ask for.</summary>
        Intermediate = 3,
    }

    /// <summary>Non-blocking: true when the server sent something we have not read, or closed the connection.
    /// A session with unread input is out of step with its server and must not be used again.</summary>
    public bool HasUnreadInput()
    {
        if (State == SmtpSessionState.Closed)
        {
            return true;
        }
        if (_reader.TryRead(out var result))
        {
            bool pending = !result.Buffer.IsEmpty || result.IsCompleted;
            _reader.AdvanceTo(result.Buffer.Start);
            if (pending)
            {
                return true;
            }
        }
        try
        {
            // Readable with nothing to read means the server hung up; over TLS this also sees records we have not
            // decrypted, which makes the check conservative (a reusable session may be dropped, never the reverse).
            return _socket.Poll(0, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return true;
        }
    }

    /// <summary>Before we send anything: input already waiting would be read as the answer to what we send next
    /// (RFC 2920 §3.1: the client must not send past a point where it needs the server's reply).</summary>
    /// <exception cref="SmtpProtocolException">The server sent something out of turn; the session is broken.</exception>
    private void ThrowIfUnreadInput(string name)
    {
        string? excerpt = null;
        if (_reader.TryRead(out var result))
        {
            var buffer = result.Buffer;
            if (!buffer.IsEmpty)
            {
                var head = buffer.Slice(0, Math.Min(buffer.Length, ExcerptLength + 1));
                excerpt = SafeText.Excerpt(head.ToArray(), ExcerptLength);
            }
            _reader.AdvanceTo(buffer.Start);
        }
        // In clear text the socket's own buffer counts too; over TLS it holds records (session tickets) that are not replies.
        if (excerpt is null && !IsTls && PeekSocket() is { } peeked)
        {
            excerpt = peeked;
        }
        if (excerpt is not null)
        {
            throw OutOfTurnError($"{name} to {Peer}: the server sent \"{excerpt}\" out of turn, before {name}");
        }
    }

    private string? PeekSocket()
    {
        try
        {
            if (_socket.Available == 0)
            {
                return null;
            }
            Span<byte> head = stackalloc byte[ExcerptLength + 1];
            int n = _socket.Receive(head, SocketFlags.Peek);
            return n == 0 ? null : SafeText.Excerpt(head[..n], ExcerptLength);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return null;
        }
    }

    private SmtpProtocolException OutOfTurnError(string message)
    {
        State = SmtpSessionState.Broken;
        OutOfTurn = true;
        return new SmtpProtocolException(message + "; replies can no longer be matched to commands");
    }

    /// <summary>Appends one command line to the pending write buffer.</summary>
    private void AppendLine(string verb, string? argument)
    {
        // Escaped like the server's lines: an address may carry C1 or format controls (the transcript is a log).
        SmtpLog.Transcript(_logger, Peer, 'C', SafeText.Escape(argument is null ? verb : verb + argument));
        Append(verb);
        if (argument is not null)
        {
            Append(argument);
        }
        Append("\r\n");
    }

    private void Append(string text)
    {
        int max = Encoding.UTF8.GetMaxByteCount(text.Length);
        int n = Encoding.UTF8.GetBytes(text, _command.GetSpan(max));
        _command.Advance(n);
    }

    /// <summary>Writes the pending command buffer in one write.</summary>
    private async Task FlushCommandsAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            ThrowIfUnreadInput(name);
            await WriteAsync(_command.WrittenMemory, name, _timeouts.Command, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _command.ResetWrittenCount();
        }
    }

    private async Task WriteAsync(ReadOnlyMemory<byte> bytes, string name, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, cts.Token);
        try
        {
            await _stream.WriteAsync(bytes, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            State = SmtpSessionState.Broken;
            throw new SmtpTimeoutException(name, timeout, Peer);
        }
        catch (OperationCanceledException)
        {
            State = SmtpSessionState.Broken;
            throw;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            State = SmtpSessionState.Broken;
            throw new SmtpProtocolException($"{name} to {Peer}: connection lost while writing ({ex.Message})", ex);
        }
    }

    /// <summary>Reads one complete reply within <paramref name="timeout"/>; a positive reply of another class than
    /// <paramref name="expected"/> answers some other command and is out of turn.</summary>
    private async Task<SmtpReply> ReadReplyAsync(string name, TimeSpan timeout, PositiveClass expected, CancellationToken cancellationToken)
    {
        using var cts = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, cts.Token);
        try
        {
            while (true)
            {
                ReadResult result = await _reader.ReadAsync(linked.Token).ConfigureAwait(false);
                var buffer = result.Buffer;
                var status = SmtpReplyParser.TryParse(buffer, out var consumed, out var reply, out string? error);
                if (status == OperationStatus.Done && reply is not null)
                {
                    _reader.AdvanceTo(consumed);
                    SmtpLog.Transcript(_logger, Peer, 'S', reply.ToString());
                    if (expected != PositiveClass.Any && reply.IsPositive && reply.Code / 100 != (int)expected)
                    {
                        throw OutOfTurnError($"{name} to {Peer}: \"{reply}\" is out of turn, {name} is answered {(int)expected}xx, 4xx or 5xx");
                    }
                    if (reply.Code == 421)
                    {
                        State = SmtpSessionState.Broken;
                    }
                    return reply;
                }
                _reader.AdvanceTo(buffer.Start, buffer.End);
                if (status == OperationStatus.InvalidData)
                {
                    State = SmtpSessionState.Broken;
                    throw new SmtpProtocolException($"{name} to {Peer}: {error}");
                }
                if (result.IsCompleted)
                {
                    State = SmtpSessionState.Broken;
                    throw new SmtpProtocolException($"{name} to {Peer}: the server closed the connection");
                }
            }
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            State = SmtpSessionState.Broken;
            throw new SmtpTimeoutException(name, timeout, Peer);
        }
        catch (OperationCanceledException)
        {
            State = SmtpSessionState.Broken;
            throw;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            State = SmtpSessionState.Broken;
            throw new SmtpProtocolException($"{name} to {Peer}: connection lost ({ex.Message})", ex);
        }
    }
}
