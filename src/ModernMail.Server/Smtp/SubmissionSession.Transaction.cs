using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.IO.Pipelines;
using System.Net.Mail;
using ModernMail.Delivery;
using ModernMail.Diagnostics;
using ModernMail.Dkim;
using ModernMail.Mime;
using ModernMail.Queue;
using ModernMail.Queue.Internal;
using ModernMail.Routing.Internal;
using ModernMail.Server.Internal;
using ModernMail.Server.Storage;
using ModernMail.Server.Submission;

namespace ModernMail.Server.Smtp;

internal sealed partial class SubmissionSession
{
    /// <summary>The header field that asks for one-click unsubscribe links ("one-click"); removed before the message is queued.</summary>
    internal const string UnsubscribeField = "X-ModernMail-Unsubscribe";

    private readonly List<MailAddress> _recipients = [];
    private readonly HashSet<string> _seen = new(StringComparer.OrdinalIgnoreCase);
    private MailAddress? _sender;
    private bool _requireTls;

    /// <summary>Refuses a transaction command before authentication: a submission port never relays for strangers (530 5.7.0). The
    /// bounce listener needs none: it takes mail only for its own VERP addresses.</summary>
    private bool RequireAuthentication()
    {
        if (_key is not null || Inbound is not null)
        {
            return true;
        }
        Reply(_isTls ? "530 5.7.0 Authentication required" : "530 5.7.0 Authentication required: use STARTTLS, then AUTH");
        return false;
    }

    private void Mail(string arguments)
    {
        if (_state == SessionState.Connected)
        {
            Reply("503 5.5.1 Send EHLO first");
            return;
        }
        if (!RequireAuthentication())
        {
            return;
        }
        if (_state != SessionState.Greeted)
        {
            Reply("503 5.5.1 Nested MAIL command");
            return;
        }
        if (!SmtpPath.TryParse(arguments, "FROM", out string? path, out var parameters, out string? error))
        {
            Reply($"501 5.5.4 {error}");
            return;
        }
        bool requireTls = false;
        foreach (var (name, value) in parameters)
        {
            switch (name)
            {
                case "SIZE":
                    // RFC 1870: the client's estimate; a message over the limit is refused now, before its bytes are sent.
                    if (!long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long size))
                    {
                        Reply("501 5.5.4 SIZE needs a number of bytes");
                        return;
                    }
                    if (size > Settings.MaxMessageSize)
                    {
                        Reply(TooBig());
                        return;
                    }
                    break;
                case "BODY":
                    if (!value.Equals("7BIT", StringComparison.OrdinalIgnoreCase) && !value.Equals("8BITMIME", StringComparison.OrdinalIgnoreCase))
                    {
                        Reply("501 5.5.4 BODY must be 7BIT or 8BITMIME");
                        return;
                    }
                    break;
                case "AUTH":
                    // RFC 4954 §5: the AUTH= identity of a message is informational; we know who authenticated.
                    break;
                case "REQUIRETLS" when value.Length == 0 && _isTls:
                    // RFC 8689: the message is delivered only over authenticated TLS to servers that keep the requirement.
                    requireTls = true;
                    break;
                case "REQUIRETLS":
                    Reply(value.Length == 0 ? "530 5.7.10 REQUIRETLS needs a TLS session" : "501 5.5.4 REQUIRETLS takes no value");
                    return;
                default:
                    Reply($"555 5.5.4 Unsupported MAIL parameter {name}");
                    return;
            }
        }
        if (Inbound is not null)
        {
            // DSNs come from the null sender <> (RFC 5321 §4.5.5); a feedback report from any address.
            MailAddress? reporter = null;
            if (path.Length > 0 && !TryAddress(path, "MAIL FROM", "5.1.7", out reporter))
            {
                return;
            }
            _sender = reporter;
            _state = SessionState.Mail;
            Reply("250 2.1.0 Sender OK");
            return;
        }
        if (path.Length == 0)
        {
            Reply("550 5.7.1 The null sender <> cannot be used for submission");
            return;
        }
        if (!TryAddress(path, "MAIL FROM", "5.1.7", out MailAddress? sender))
        {
            return;
        }
        // _key is set: RequireAuthentication passed.
        if (!_key!.AllowsDomain(sender.Host))
        {
            Reply($"550 5.7.1 The key \"{_key.Name}\" may not send from {sender.Host} (allowed: {string.Join(", ", _key.Domains)})");
            return;
        }
        _sender = sender;
        _requireTls = requireTls;
        _state = SessionState.Mail;
        Reply("250 2.1.0 Sender OK");
    }

    private async Task RecipientAsync(string arguments, CancellationToken abort)
    {
        if (_state == SessionState.Connected)
        {
            Reply("503 5.5.1 Send EHLO first");
            return;
        }
        if (!RequireAuthentication())
        {
            return;
        }
        if (_state < SessionState.Mail)
        {
            Reply("503 5.5.1 Need MAIL before RCPT");
            return;
        }
        if (!SmtpPath.TryParse(arguments, "TO", out string? path, out var parameters, out string? error))
        {
            Reply($"501 5.5.4 {error}");
            return;
        }
        if (parameters.Count > 0)
        {
            Reply($"555 5.5.4 Unsupported RCPT parameter {parameters.Keys.First()}");
            return;
        }
        if (path.Length == 0)
        {
            Reply("501 5.1.3 A recipient address is required");
            return;
        }
        if (!TryAddress(path, "RCPT TO", "5.1.3", out MailAddress? recipient))
        {
            return;
        }
        if (_seen.Contains(recipient.Address))
        {
            Reply("250 2.1.5 Recipient OK (duplicate)");
            return;
        }
        if (_recipients.Count >= Settings.MaxRecipients)
        {
            // RFC 5321 §4.5.3.1.10: 452, so the client sends the rest in another transaction.
            Reply($"452 4.5.3 Too many recipients (at most {Settings.MaxRecipients.ToString(CultureInfo.InvariantCulture)} per message)");
            return;
        }
        if (Inbound is not null && await Inbound.CheckRecipientAsync(recipient, abort).ConfigureAwait(false) is { } refusal)
        {
            Reply(refusal);
            return;
        }
        _recipients.Add(recipient);
        _seen.Add(recipient.Address);
        _state = SessionState.Recipients;
        Reply("250 2.1.5 Recipient OK");
    }

    /// <summary>Parses an envelope address with the checks every door applies (<see cref="RecipientGrouper.Validate"/>); replies 553 if it fails.</summary>
    private bool TryAddress(string path, string command, string enhanced, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out MailAddress? address)
    {
        address = null;
        try
        {
            var parsed = new MailAddress(path);
            if (parsed.DisplayName.Length > 0)
            {
                Reply($"553 {enhanced} {command}: give only the address inside the angle brackets");
                return false;
            }
            RecipientGrouper.Validate(parsed, command);
            address = parsed;
            return true;
        }
        catch (FormatException ex)
        {
            Reply($"553 {enhanced} {command}: not an e-mail address: {ex.Message}");
            return false;
        }
        catch (ArgumentException ex)
        {
            Reply($"553 {enhanced} {command}: {WithoutParameter(ex)}");
            return false;
        }
    }

    private async Task<bool> DataAsync(string arguments, CancellationToken abort)
    {
        if (_state == SessionState.Connected)
        {
            Reply("503 5.5.1 Send EHLO first");
            return true;
        }
        if (!RequireAuthentication())
        {
            return true;
        }
        if (arguments.Length > 0)
        {
            Reply("501 5.5.4 Syntax: DATA");
            return true;
        }
        if (_state != SessionState.Recipients)
        {
            Reply(_state == SessionState.Mail ? "554 5.5.1 No valid recipients" : "503 5.5.1 Need MAIL and RCPT before DATA");
            return true;
        }
        Reply("354 End data with <CR><LF>.<CR><LF>");
        await FlushAsync(abort).ConfigureAwait(false);

        byte[]? message;
        using (var timeout = new CancellationTokenSource(Settings.DataTimeout, _listener.Time))
        using (var linked = CancellationTokenSource.CreateLinkedTokenSource(abort, timeout.Token))
        {
            try
            {
                (bool ended, message) = await ReadDataAsync(linked.Token).ConfigureAwait(false);
                if (!ended)
                {
                    return false; // The client closed the connection mid-message: nothing is queued.
                }
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested && !abort.IsCancellationRequested)
            {
                Reply($"421 4.4.2 {HostName} Timeout: the message did not arrive within {Settings.DataTimeout}; closing the connection");
                return false;
            }
        }
        if (message is null)
        {
            Reply(TooBig());
        }
        else
        {
            Reply(Inbound is null ? await SubmitAsync(message, abort).ConfigureAwait(false) : await ReceiveReportAsync(Inbound, message, abort).ConfigureAwait(false));
        }
        ResetTransaction();
        return true;
    }

    /// <summary>Reads DATA up to the end-of-data line; the message is null when it was larger than the limit (read to its end and dropped).</summary>
    /// <returns>Whether the end-of-data line arrived (false: the client closed the connection first).</returns>
    private async Task<(bool Ended, byte[]? Message)> ReadDataAsync(CancellationToken cancellationToken)
    {
        var decoder = new DotUnstuffer();
        long limit = Settings.MaxMessageSize;
        var content = new ArrayBufferWriter<byte>(64 * 1024);
        bool tooBig = false;
        byte[] scratch = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (true)
            {
                ReadResult result = await _reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                ReadOnlySequence<byte> buffer = result.Buffer;
                long used = 0;
                bool ended = false;
                foreach (ReadOnlyMemory<byte> segment in buffer)
                {
                    ReadOnlySpan<byte> source = segment.Span;
                    while (source.Length > 0 && !ended)
                    {
                        // Past the limit the rest is decoded into scratch space and dropped, so the session stays in step.
                        ReadOnlySpan<byte> chunk = source.Length > scratch.Length - DotUnstuffer.MaxExpansion
                            ? source[..(scratch.Length - DotUnstuffer.MaxExpansion)] : source;
                        Span<byte> destination = tooBig ? scratch : content.GetSpan(chunk.Length + DotUnstuffer.MaxExpansion);
                        ended = decoder.Decode(chunk, destination, out int consumed, out int written);
                        if (!tooBig)
                        {
                            content.Advance(written);
                            if (content.WrittenCount > limit)
                            {
                                tooBig = true;
                                content = new ArrayBufferWriter<byte>(1);
                            }
                        }
                        source = source[consumed..];
                        used += consumed;
                    }
                    if (ended)
                    {
                        break;
                    }
                }
                _reader.AdvanceTo(buffer.GetPosition(used));
                if (ended)
                {
                    return (true, tooBig ? null : content.WrittenSpan.ToArray());
                }
                if (result.IsCompleted)
                {
                    return (false, null);
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(scratch);
        }
    }

    /// <summary>On the bounce listener: records the DSN or feedback report; returns the reply for the final dot.</summary>
    private async Task<string> ReceiveReportAsync(Bounces.BounceReceiver inbound, byte[] data, CancellationToken abort)
    {
        try
        {
            return await inbound.ReceiveAsync(data, _recipients, abort).ConfigureAwait(false);
        }
        catch (QueueStoreException ex)
        {
            ServerLog.StoreFailed(_listener.Logger, ex);
            return "451 4.3.0 The store is unavailable; try again later";
        }
    }

    /// <summary>Queues the message through the same path as the HTTP API's raw messages; returns the reply for the final dot.</summary>
    private async Task<string> SubmitAsync(byte[] data, CancellationToken abort)
    {
        using var activity = MailTelemetry.StartSubmit(MailTelemetry.DoorSmtp);
        string reply = await SubmitCoreAsync(data, abort).ConfigureAwait(false);
        activity?.SetTag("smtp.reply.code", reply[..3]);
        if (reply[0] != '2')
        {
            MailTelemetry.Fail(activity, reply[..Math.Min(reply.Length, 9)]);
        }
        return reply;
    }

    private async Task<string> SubmitCoreAsync(byte[] data, CancellationToken abort)
    {
        // _key and _sender are set: DATA is accepted only in the Recipients state, which needs an authenticated MAIL.
        var key = _key!;
        try
        {
            byte[] bytes = RawMessage.Normalize(data, "DATA");
            var (from, signed) = RawMessage.ReadHeaders(bytes, "DATA");
            // The header From too, not only MAIL FROM: a key limited to one domain must not spoof another in either.
            if (!key.AllowsDomain(from.Host))
            {
                return $"550 5.7.1 The key \"{key.Name}\" may not send as From: {from.Host} (allowed: {string.Join(", ", key.Domains)})";
            }
            if (!signed)
            {
                // Not into a message signed already: a signature may cover the absence of these fields.
                bytes = RawMessage.AddMissingDateAndMessageId(bytes, HostName, _listener.Time.GetUtcNow());
            }
            var envelope = new Envelope(_sender!, [.. _recipients]) { RequireTls = _requireTls };
            // The submit span's traceparent is stored with the message, so its delivery attempts join this trace.
            var details = new EntryDetails(null, null, Activity.Current?.Id) { Door = MailTelemetry.DoorSmtp };
            (bytes, string? unsubscribe) = RawMessage.TakeField(bytes, UnsubscribeField);
            if (unsubscribe is not null)
            {
                if (!unsubscribe.Equals("one-click", StringComparison.OrdinalIgnoreCase))
                {
                    return $"554 5.6.0 {UnsubscribeField}: the only value is \"one-click\"";
                }
                if (signed || _listener.Unsubscribe is not { } links)
                {
                    return signed
                        ? $"554 5.6.0 {UnsubscribeField} needs the server to DKIM-sign the message; send it without a DKIM-Signature"
                        : $"554 5.6.0 {UnsubscribeField}: this server has no HTTP API to serve unsubscribe links";
                }
                return Queued(key, await _listener.Queues.EnqueueRawCopiesAsync(envelope, bytes, from, signed: false, id: null, details,
                    (copy, rcpt) => links.HeadersFor(copy, rcpt, from.Host), abort).ConfigureAwait(false));
            }
            if (_listener.Queues.SendsCopies)
            {
                return Queued(key, await _listener.Queues.EnqueueRawCopiesAsync(envelope, bytes, from, signed, id: null, details, headersFor: null, abort)
                    .ConfigureAwait(false));
            }
            SubmittedMessage queued = await _listener.Queues.EnqueueRawAsync(envelope, bytes, from, signed, id: null, details, abort).ConfigureAwait(false);
            ServerLog.MessageQueued(_listener.Logger, queued.Id, key.Name, queued.Recipients.Count);
            return $"250 2.0.0 Ok: queued as {queued.Id}";
        }
        catch (MailMessageFormatException ex)
        {
            // Content that cannot be sent safely (RFC 3463 5.6.0: other or undefined media error).
            string detail = ex.Message.StartsWith(ex.Field + ": ", StringComparison.Ordinal) ? ex.Message[(ex.Field.Length + 2)..] : ex.Message;
            return $"554 5.6.0 {detail}";
        }
        catch (DkimException ex)
        {
            return $"554 5.6.0 The message cannot be DKIM-signed: {ex.Message}";
        }
        catch (ArgumentException ex)
        {
            return $"554 5.1.3 {WithoutParameter(ex)}";
        }
        catch (QueueStoreException ex)
        {
            ServerLog.StoreFailed(_listener.Logger, ex);
            return "451 4.3.0 The queue store is unavailable; the message was not queued. Try again later";
        }
    }

    private string Queued(StoredApiKey key, IReadOnlyList<SubmittedMessage> copies)
    {
        foreach (var copy in copies)
        {
            ServerLog.MessageQueued(_listener.Logger, copy.Id, key.Name, copy.Recipients.Count);
        }
        // One id per recipient's copy would overrun a reply line (512 octets) at 100 recipients: the first, and how many more.
        return copies.Count == 1 ? $"250 2.0.0 Ok: queued as {copies[0].Id}" : $"250 2.0.0 Ok: queued as {copies[0].Id} and {copies.Count - 1} more copies";
    }

    private string TooBig() => string.Create(CultureInfo.InvariantCulture,
        $"552 5.3.4 Message size exceeds fixed maximum message size ({Settings.MaxMessageSize} bytes)");

    private static string WithoutParameter(ArgumentException ex) =>
        ex.ParamName is null ? ex.Message : ex.Message.Replace($" (Parameter '{ex.ParamName}')", "", StringComparison.Ordinal);
}
