using System.Net.Mail;
using Microsoft.Extensions.Logging;
using MimeKit;
using ModernMail.Queue;
using ModernMail.Server.Internal;

namespace ModernMail.Server.Bounces;

/// <summary>What the inbound listener does with mail for the bounce domain: RCPT only for VERP addresses of a stored copy (never a
/// relay, never a mailbox), and each message read as a DSN or a feedback report and recorded against that copy's recipient as a
/// bounced or complained event (with the suppression that follows). Anything else is logged and dropped.</summary>
internal sealed class BounceReceiver(BounceAddresses addresses, IQueueStore store, ILogger logger, TimeProvider time)
{
    /// <summary>Null when <paramref name="recipient"/> is the VERP address of a stored copy, else the 550 reply that refuses it.</summary>
    public async Task<string?> CheckRecipientAsync(MailAddress recipient, CancellationToken cancellationToken)
    {
        if (!string.Equals(recipient.Host.TrimEnd('.'), addresses.Domain, StringComparison.OrdinalIgnoreCase))
        {
            return $"550 5.7.1 Relay access denied: this server takes mail for {addresses.Domain} only";
        }
        return await FindAsync(recipient, cancellationToken).ConfigureAwait(false) is null ? "550 5.1.1 No such mailbox" : null;
    }

    /// <summary>Reads the message sent to <paramref name="recipients"/> (each accepted by <see cref="CheckRecipientAsync"/>) and records
    /// what it reports; returns the reply to the final dot.</summary>
    /// <remarks>A message that is not a report is still accepted (250): refusing it would send a bounce of a bounce.</remarks>
    /// <exception cref="QueueStoreException">The store failed (the caller answers 451, and the sender retries).</exception>
    public async Task<string> ReceiveAsync(byte[] data, IReadOnlyList<MailAddress> recipients, CancellationToken cancellationToken)
    {
        FeedbackReport? report;
        try
        {
            using var message = await MimeMessage.LoadAsync(new MemoryStream(data, writable: false), cancellationToken).ConfigureAwait(false);
            report = FeedbackReport.Read(message);
        }
        catch (FormatException ex)
        {
            ServerLog.InboundDropped(logger, "unparsable MIME: " + ex.Message);
            return "250 2.0.0 Ok: dropped, not a MIME message";
        }
        if (report is null)
        {
            ServerLog.InboundDropped(logger, "neither a failed-delivery DSN nor a feedback report");
            return "250 2.0.0 Ok: dropped, not a failure report";
        }
        int recorded = 0;
        foreach (var recipient in recipients)
        {
            if (await FindAsync(recipient, cancellationToken).ConfigureAwait(false) is not { } copy)
            {
                ServerLog.InboundDropped(logger, $"no copy matches {recipient.Address}");
                continue;
            }
            await store.RecordFeedbackAsync(new RecipientFeedback(copy.Id, 0, report.Type, time.GetUtcNow()) { Category = report.Category, Detail = report.Detail },
                cancellationToken).ConfigureAwait(false);
            ServerLog.InboundRecorded(logger, copy.Id, report.Type.ToString(), report.Detail);
            recorded++;
        }
        return recorded > 0 ? "250 2.0.0 Ok: report recorded" : "250 2.0.0 Ok: dropped, no copy matches";
    }

    /// <summary>The stored one-recipient copy whose VERP address <paramref name="address"/> is (MAC checked in constant time).</summary>
    private async Task<QueuedMessage?> FindAsync(MailAddress address, CancellationToken cancellationToken)
    {
        if (addresses.CopyIdOf(address) is not { } id)
        {
            return null;
        }
        var copy = await store.GetAsync(id, cancellationToken).ConfigureAwait(false);
        return copy is { Recipients: [var only] } && addresses.Verify(address, only.Address) ? copy : null;
    }
}
