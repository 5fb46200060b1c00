using System.Net.Mail;
using System.Text;
using ModernMail.Delivery;
using ModernMail.Delivery.Internal;
using ModernMail.Dkim;
using ModernMail.Mime;
using ModernMail.Queue;
using ModernMail.Routing.Internal;

namespace ModernMail.Server.Submission;

/// <summary>The one way mail enters the queue from the server's front doors (HTTP now, SMTP submission later):
/// the same validation as <see cref="MailBroker"/>, DKIM keys chosen by the From domain, and an answer only after commit.</summary>
/// <remarks>
/// One <see cref="MailQueue"/> per signing domain, all over the same <see cref="IQueueStore"/> instance: each queue's
/// <see cref="QueueOptions.DkimSignatures"/> holds that domain's keys, so structured messages are composed and signed by the
/// library's own enqueue path. The worker listens to <see cref="WorkerQueue"/>; enqueues through another queue wake it
/// explicitly. Raw messages are signed here (if they carry no DKIM-Signature yet) with signers built once per domain.
/// </remarks>
internal sealed class SubmissionQueue : IAsyncDisposable
{
    private readonly Dictionary<string, (MailQueue Queue, DkimSigner[] Signers)> _domains = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Creates the queues over <paramref name="store"/>; <paramref name="dkim"/> lists the keys, several per domain allowed.</summary>
    /// <exception cref="DkimException">A key is invalid.</exception>
    public SubmissionQueue(IQueueStore store, QueueOptions options, IReadOnlyList<DkimConfig> dkim)
    {
        WorkerQueue = new MailQueue(store, options);
        foreach (var group in dkim.GroupBy(d => d.Domain.TrimEnd('.'), StringComparer.OrdinalIgnoreCase))
        {
            var domainOptions = Copy(options);
            var signers = new List<DkimSigner>();
            foreach (var config in group)
            {
                domainOptions.DkimSignatures.Add(config);
                signers.Add(new DkimSigner(config));
            }
            _domains[group.Key] = (new MailQueue(store, domainOptions), signers.ToArray());
        }
    }

    /// <summary>The queue the worker delivers from (no signing keys of its own).</summary>
    public MailQueue WorkerQueue { get; }

    /// <summary>The signing domains configured.</summary>
    public IEnumerable<string> SigningDomains => _domains.Keys;

    /// <summary>Validates, composes, signs (by From domain) and queues a message; returns once it is durably committed.</summary>
    /// <exception cref="MailMessageFormatException">A field cannot be written safely; the exception names it.</exception>
    /// <exception cref="ArgumentException">No recipients, or an undeliverable address.</exception>
    /// <exception cref="QueueStoreException">The store failed; nothing was queued.</exception>
    public async Task<SubmittedMessage> EnqueueAsync(MailMessage message, CancellationToken cancellationToken)
    {
        // Validation first, and the recipient list for the answer; EnqueueAsync validates the same way again (cheap).
        Envelope envelope = MessagePreparer.BuildEnvelope(message);
        MailQueue queue = message.From is { } from && Find(from.Host) is { } domain ? domain.Queue : WorkerQueue;
        string id = await queue.EnqueueAsync(message, cancellationToken).ConfigureAwait(false);
        Wake(queue);
        return new SubmittedMessage(id, Addresses(envelope));
    }

    /// <summary>Queues a ready-made message as is, DKIM-signing it for its From domain unless it is signed already.</summary>
    /// <param name="envelope">MAIL FROM and RCPT TO.</param>
    /// <param name="message">The RFC 5322 message, CRLF line endings (see <see cref="RawMessage.Normalize"/>).</param>
    /// <param name="headerFrom">Its From address (see <see cref="RawMessage.ReadHeaders"/>).</param>
    /// <param name="signed">Whether it already carries a DKIM-Signature.</param>
    /// <param name="cancellationToken">Cancels before the commit.</param>
    /// <exception cref="ArgumentException">An envelope address is not deliverable.</exception>
    /// <exception cref="DkimException">The header block is too large to sign.</exception>
    /// <exception cref="QueueStoreException">The store failed; nothing was queued.</exception>
    public async Task<SubmittedMessage> EnqueueRawAsync(Envelope envelope, byte[] message, MailAddress headerFrom, bool signed, CancellationToken cancellationToken)
    {
        if (envelope.Sender is not null)
        {
            RecipientGrouper.Validate(envelope.Sender, "envelope.from");
        }
        foreach (var recipient in envelope.Recipients)
        {
            RecipientGrouper.Validate(recipient, "envelope.to");
        }
        byte[] signatures = [];
        if (!signed && Find(headerFrom.Host) is { } domain)
        {
            var results = await DkimSigner.SignAllAsync(domain.Signers, new MemoryStream(message, writable: false), cancellationToken).ConfigureAwait(false);
            signatures = Encoding.ASCII.GetBytes(string.Concat(results.Select(r => r.Header)));
        }
        var stream = new PrefixedStream(signatures, new MemoryStream(message, writable: false));
        await using (stream.ConfigureAwait(false))
        {
            string id = await WorkerQueue.EnqueueAsync(envelope, stream, cancellationToken).ConfigureAwait(false);
            return new SubmittedMessage(id, Addresses(envelope));
        }
    }

    /// <summary>The keys for <paramref name="host"/>: its own, else its nearest parent domain's (d=example.com signs mail.example.com).</summary>
    private (MailQueue Queue, DkimSigner[] Signers)? Find(string host)
    {
        for (string? candidate = host.TrimEnd('.'); !string.IsNullOrEmpty(candidate);)
        {
            if (_domains.TryGetValue(candidate, out var found))
            {
                return found;
            }
            int dot = candidate.IndexOf('.', StringComparison.Ordinal);
            candidate = dot < 0 ? null : candidate[(dot + 1)..];
        }
        return null;
    }

    private void Wake(MailQueue used)
    {
        if (!ReferenceEquals(used, WorkerQueue))
        {
            WorkerQueue.NotifyEnqueued();
        }
    }

    private static string[] Addresses(Envelope envelope)
    {
        var addresses = new string[envelope.Recipients.Count];
        for (int i = 0; i < addresses.Length; i++)
        {
            addresses[i] = envelope.Recipients[i].Address;
        }
        return addresses;
    }

    private static QueueOptions Copy(QueueOptions options) => new()
    {
        Store = options.Store,
        FirstRetryDelay = options.FirstRetryDelay,
        MaxRetryDelay = options.MaxRetryDelay,
        RetryJitter = options.RetryJitter,
        MessageLifetime = options.MessageLifetime,
        MaxConcurrentDeliveries = options.MaxConcurrentDeliveries,
        MaxConcurrentPerDomain = options.MaxConcurrentPerDomain,
        LeaseDuration = options.LeaseDuration,
        PollInterval = options.PollInterval,
        SendBounces = options.SendBounces,
        HostName = options.HostName,
        TimeProvider = options.TimeProvider,
        Random = options.Random,
    };

    public async ValueTask DisposeAsync()
    {
        foreach (var (queue, signers) in _domains.Values)
        {
            await queue.DisposeAsync().ConfigureAwait(false);
            foreach (var signer in signers)
            {
                signer.Dispose();
            }
        }
        await WorkerQueue.DisposeAsync().ConfigureAwait(false);
    }
}
