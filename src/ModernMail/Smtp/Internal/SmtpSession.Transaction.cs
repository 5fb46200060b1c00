using System.Buffers;
using System.Globalization;
using ModernMail.Delivery.Internal;

namespace ModernMail.Smtp.Internal;

internal sealed partial class SmtpSession
{
    private const int DataChunkSize = 32 * 1024;

    /// <summary>Runs one mail transaction, recording every reply in <paramref name="transaction"/> as it arrives.</summary>
    /// <remarks>Negative replies are recorded, not thrown. Protocol errors and timeouts throw and leave the session broken;
    /// whatever was recorded before stays valid, except after a reply out of turn: then every reply of the transaction
    /// may answer another command (one stray reply shifts all that follow), and all are forgotten.</remarks>
    /// <exception cref="SmtpProtocolException">The connection broke or the server sent garbage.</exception>
    /// <exception cref="SmtpTimeoutException">A stage took longer than its timeout.</exception>
    public async Task SendAsync(MailTransaction transaction, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(transaction);
        using var activity = Diagnostics.MailTelemetry.Source.StartActivity("smtp.transaction", System.Diagnostics.ActivityKind.Client);
        activity?.SetTag("server.address", MxHost);
        if (State != SmtpSessionState.Ready)
        {
            throw new InvalidOperationException($"The session to {Peer} is {State}, not ready for a transaction.");
        }
        State = SmtpSessionState.InTransaction;
        try
        {
            await RunTransactionAsync(transaction, cancellationToken).ConfigureAwait(false);
        }
        catch (SmtpProtocolException) when (OutOfTurn)
        {
            transaction.ForgetReplies();
            throw;
        }
    }

    private async Task RunTransactionAsync(MailTransaction transaction, CancellationToken cancellationToken)
    {
        string mailArgument = BuildMailArgument(transaction);
        if (Capabilities.Pipelining)
        {
            await SendEnvelopePipelinedAsync(transaction, mailArgument, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await SendEnvelopeLockstepAsync(transaction, mailArgument, cancellationToken).ConfigureAwait(false);
        }
        if (State == SmtpSessionState.Broken)
        {
            return;
        }
        bool anyAccepted = false;
        for (int i = 0; i < transaction.Recipients.Count; i++)
        {
            anyAccepted |= transaction.IsAccepted(i);
        }
        if (transaction.DataReply is not { Code: 354 })
        {
            await EndRejectedAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        if (!anyAccepted)
        {
            // RFC 2920 §3.1: DATA was accepted although no recipient was; send an empty message's terminator, then reset.
            ThrowIfUnreadInput("DATA");
            await WriteAsync(".\r\n"u8.ToArray(), "DATA", _timeouts.DataBlock, cancellationToken).ConfigureAwait(false);
            transaction.FinalReply = await ReadReplyAsync("end of DATA", _timeouts.DataTermination, PositiveClass.Completion, cancellationToken).ConfigureAwait(false);
            await EndRejectedAsync(cancellationToken).ConfigureAwait(false);
            return;
        }
        // Anything after the 354 would be read as the answer to the final dot.
        ThrowIfUnreadInput("DATA");
        await WriteDataAsync(transaction.Message, cancellationToken).ConfigureAwait(false);
        transaction.FinalReply = await ReadReplyAsync("end of DATA", _timeouts.DataTermination, PositiveClass.Completion, cancellationToken).ConfigureAwait(false);
        MessagesSent++;
        if (State != SmtpSessionState.Broken)
        {
            State = SmtpSessionState.Ready;
        }
    }

    private string BuildMailArgument(MailTransaction transaction)
    {
        // Mail-parameters (RFC 1870 SIZE, RFC 6152 BODY, RFC 6531 SMTPUTF8, RFC 8689 REQUIRETLS) only when the server advertised them.
        var text = new System.Text.StringBuilder(transaction.ReversePath.Length + 48);
        text.Append('<').Append(transaction.ReversePath).Append('>');
        if (Capabilities.Size)
        {
            text.Append(" SIZE=").Append(transaction.Message.Length.ToString(CultureInfo.InvariantCulture));
        }
        if (transaction.Message.Has8Bit && Capabilities.EightBitMime)
        {
            text.Append(" BODY=8BITMIME");
        }
        if (transaction.SmtpUtf8 && Capabilities.SmtpUtf8)
        {
            text.Append(" SMTPUTF8");
        }
        if (transaction.RequireTls && Capabilities.RequireTls)
        {
            text.Append(" REQUIRETLS");
        }
        return text.ToString();
    }

    private async Task SendEnvelopePipelinedAsync(MailTransaction transaction, string mailArgument, CancellationToken cancellationToken)
    {
        // RFC 2920: MAIL, every RCPT and DATA in one write, then the replies in order.
        _command.ResetWrittenCount();
        AppendLine("MAIL FROM:", mailArgument);
        for (int i = 0; i < transaction.Recipients.Count; i++)
        {
            AppendLine("RCPT TO:", "<" + transaction.Recipients[i] + ">");
        }
        AppendLine("DATA", null);
        await FlushCommandsAsync("MAIL FROM", cancellationToken).ConfigureAwait(false);
        transaction.MailReply = await ReadReplyAsync("MAIL FROM", _timeouts.MailFrom, PositiveClass.Completion, cancellationToken).ConfigureAwait(false);
        if (State == SmtpSessionState.Broken)
        {
            return;
        }
        for (int i = 0; i < transaction.Recipients.Count; i++)
        {
            transaction.RcptReplies[i] = await ReadReplyAsync("RCPT TO", _timeouts.RcptTo, PositiveClass.Completion, cancellationToken).ConfigureAwait(false);
            if (State == SmtpSessionState.Broken)
            {
                return;
            }
        }
        transaction.DataReply = await ReadReplyAsync("DATA", _timeouts.DataInitiation, PositiveClass.Intermediate, cancellationToken).ConfigureAwait(false);
    }

    private async Task SendEnvelopeLockstepAsync(MailTransaction transaction, string mailArgument, CancellationToken cancellationToken)
    {
        transaction.MailReply = await CommandAsync("MAIL FROM", "MAIL FROM:", mailArgument, _timeouts.MailFrom, PositiveClass.Completion, cancellationToken).ConfigureAwait(false);
        if (!transaction.MailReply.IsPositive || State == SmtpSessionState.Broken)
        {
            return;
        }
        bool anyAccepted = false;
        for (int i = 0; i < transaction.Recipients.Count; i++)
        {
            var reply = await CommandAsync("RCPT TO", "RCPT TO:", "<" + transaction.Recipients[i] + ">", _timeouts.RcptTo, PositiveClass.Completion, cancellationToken).ConfigureAwait(false);
            transaction.RcptReplies[i] = reply;
            if (State == SmtpSessionState.Broken)
            {
                return;
            }
            anyAccepted |= reply.IsPositive;
        }
        if (anyAccepted)
        {
            transaction.DataReply = await CommandAsync("DATA", "DATA", null, _timeouts.DataInitiation, PositiveClass.Intermediate, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>After a transaction that sent no message: RSET so the connection can be reused.</summary>
    private async Task EndRejectedAsync(CancellationToken cancellationToken)
    {
        if (State == SmtpSessionState.Broken)
        {
            return;
        }
        State = SmtpSessionState.Ready;
        await ResetAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Streams the message through the dot-stuffer, copying chunks that need no change as they are.</summary>
    private async Task WriteDataAsync(MessageSource message, CancellationToken cancellationToken)
    {
        byte[] input = ArrayPool<byte>.Shared.Rent(DataChunkSize);
        byte[] output = ArrayPool<byte>.Shared.Rent(DotStuffer.GetMaxEncodedLength(DataChunkSize));
        var stuffer = new DotStuffer();
        try
        {
            long offset = 0;
            while (true)
            {
                int read = await message.ReadAtAsync(offset, input.AsMemory(0, DataChunkSize), cancellationToken).ConfigureAwait(false);
                if (read == 0)
                {
                    break;
                }
                offset += read;
                var chunk = input.AsMemory(0, read);
                if (stuffer.NeedsNoChange(chunk.Span))
                {
                    stuffer.Skip(chunk.Span);
                    await WriteAsync(chunk, "DATA", _timeouts.DataBlock, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                stuffer.Encode(chunk.Span, output, out _, out int written, isFinal: false);
                await WriteAsync(output.AsMemory(0, written), "DATA", _timeouts.DataBlock, cancellationToken).ConfigureAwait(false);
            }
            stuffer.Encode([], output, out _, out int tail, isFinal: true);
            await WriteAsync(output.AsMemory(0, tail), "DATA", _timeouts.DataBlock, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
            ArrayPool<byte>.Shared.Return(output);
        }
    }
}
