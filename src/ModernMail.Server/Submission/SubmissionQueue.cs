using System.Net.Mail;
using ModernMail.Delivery;
using ModernMail.Delivery.Internal;
using ModernMail.Dkim;
using ModernMail.Mime;
using ModernMail.Queue;
using ModernMail.Queue.Internal;
using ModernMail.Routing.Internal;
using ModernMail.Server.Bounces;

namespace ModernMail.Server.Submission;

/// <summary>The one way mail enters the queue from the server's front doors (HTTP now, SMTP submission later):
/// the same validation as <see cref="MailBroker"/>, DKIM keys chosen by the From domain, and an answer only after commit.</summary>
/// <remarks>
/// One <see cref="MailQueue"/> over the store, and one <see cref="MessagePreparer"/> per signing domain (signers built once):
/// structured messages are prepared exactly as <see cref="MailBroker"/> prepares them, raw ones (unless they carry a
/// DKIM-Signature already) are signed by the same preparer, and both are stored through <see cref="WorkerQueue"/>.
/// </remarks>
internal sealed class SubmissionQueue : IAsyncDisposable
{
    private readonly Dictionary<string, MessagePreparer> _domains = new(StringComparer.OrdinalIgnoreCase);
    private readonly MessagePreparer _unsigned;

    /// <summary>Creates the queue over <paramref name="store"/>; <paramref name="dkim"/> lists the keys, several per domain allowed;
    /// with <paramref name="bounces"/>, copies get VERP envelope senders.</summary>
    /// <exception cref="DkimException">A key is invalid.</exception>
    public SubmissionQueue(IQueueStore store, QueueOptions options, IReadOnlyList<DkimConfig> dkim, BounceAddresses? bounces = null)
    {
        Bounces = bounces;
        WorkerQueue = new MailQueue(store, options);
        _unsigned = new MessagePreparer(new BrokerConfig { HostName = options.HostName, TimeProvider = options.TimeProvider });
        foreach (var group in dkim.GroupBy(d => d.Domain.TrimEnd('.'), StringComparer.OrdinalIgnoreCase))
        {
            var config = new BrokerConfig { HostName = options.HostName, TimeProvider = options.TimeProvider };
            foreach (var key in group)
            {
                config.DkimSignatures.Add(key);
            }
            _domains[group.Key] = new MessagePreparer(config);
        }
    }

    /// <summary>The queue the worker delivers from; every message is stored through it.</summary>
    public MailQueue WorkerQueue { get; }

    /// <summary>The VERP envelope senders of copies; null when no bounce domain is configured.</summary>
    public BounceAddresses? Bounces { get; }

    /// <summary>Whether every message goes as one copy per recipient (<see cref="EnqueueCopiesAsync"/>): so it does with VERP.</summary>
    public bool SendsCopies => Bounces is not null;

    /// <summary>The signing domains configured.</summary>
    public IEnumerable<string> SigningDomains => _domains.Keys;

    /// <summary>Validates, composes, signs (by From domain) and queues a message; returns once it is durably committed.</summary>
    /// <exception cref="MailMessageFormatException">A field cannot be written safely; the exception names it.</exception>
    /// <exception cref="ArgumentException">No recipients, or an undeliverable address.</exception>
    /// <exception cref="QueueStoreException">The store failed; nothing was queued.</exception>
    public Task<SubmittedMessage> EnqueueAsync(MailMessage message, CancellationToken cancellationToken) =>
        EnqueueAsync(message, id: null, cancellationToken);

    /// <summary>As <see cref="EnqueueAsync(MailMessage, CancellationToken)"/>, under <paramref name="id"/> when given; a message
    /// already stored under that id is not stored again (an idempotent request resumed after a crash).</summary>
    public Task<SubmittedMessage> EnqueueAsync(MailMessage message, string? id, CancellationToken cancellationToken) =>
        EnqueueAsync(message, id, requireTls: false, cancellationToken);

    /// <summary>As above, with REQUIRETLS (RFC 8689) asked for or not.</summary>
    public Task<SubmittedMessage> EnqueueAsync(MailMessage message, string? id, bool requireTls, CancellationToken cancellationToken) =>
        EnqueueAsync(message, id, requireTls, EntryDetails.None, cancellationToken);

    /// <summary>As above, with the annotations and trace the store keeps (the sender domain is the From domain).</summary>
    public async Task<SubmittedMessage> EnqueueAsync(MailMessage message, string? id, bool requireTls, EntryDetails details, CancellationToken cancellationToken)
    {
        details = details with { SenderDomain = message.From?.Host };
        if (message.From is not { } from || Find(from.Host) is not { } preparer)
        {
            // No keys for this sender: the queue's own (unsigned) preparation; the envelope is built for the answer.
            Envelope unsigned = MessagePreparer.BuildEnvelope(message);
            var plain = await WorkerQueue.EnqueueAsync(message, id, requireTls, details, cancellationToken).ConfigureAwait(false);
            return new SubmittedMessage(plain.Id, Addresses(unsigned), plain.States);
        }
        var prepared = await preparer.PrepareAsync(message, withEnvelope: true, cancellationToken).ConfigureAwait(false);
        await using (prepared.ConfigureAwait(false))
        {
            var queued = await WorkerQueue.EnqueueAsync(prepared.Envelope! with { RequireTls = requireTls }, prepared.Data, id, details, cancellationToken).ConfigureAwait(false);
            return new SubmittedMessage(queued.Id, Addresses(prepared.Envelope!), queued.States);
        }
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
    public Task<SubmittedMessage> EnqueueRawAsync(Envelope envelope, byte[] message, MailAddress headerFrom, bool signed, CancellationToken cancellationToken) =>
        EnqueueRawAsync(envelope, message, headerFrom, signed, id: null, cancellationToken);

    /// <summary>As <see cref="EnqueueRawAsync(Envelope, byte[], MailAddress, bool, CancellationToken)"/>, under <paramref name="id"/> when given.</summary>
    public Task<SubmittedMessage> EnqueueRawAsync(Envelope envelope, byte[] message, MailAddress headerFrom, bool signed, string? id, CancellationToken cancellationToken) =>
        EnqueueRawAsync(envelope, message, headerFrom, signed, id, EntryDetails.None, cancellationToken);

    /// <summary>As above, with the annotations and trace the store keeps (the sender domain is the header From domain).</summary>
    public async Task<SubmittedMessage> EnqueueRawAsync(Envelope envelope, byte[] message, MailAddress headerFrom, bool signed, string? id, EntryDetails details,
        CancellationToken cancellationToken)
    {
        details = details with { SenderDomain = headerFrom.Host };
        if (envelope.Sender is not null)
        {
            RecipientGrouper.Validate(envelope.Sender, "envelope.from");
        }
        foreach (var recipient in envelope.Recipients)
        {
            RecipientGrouper.Validate(recipient, "envelope.to");
        }
        byte[] signatures = !signed && Find(headerFrom.Host) is { } preparer
            ? await preparer.SignAsync(new MemoryStream(message, writable: false), cancellationToken).ConfigureAwait(false)
            : [];
        var stream = new PrefixedStream(signatures, new MemoryStream(message, writable: false));
        await using (stream.ConfigureAwait(false))
        {
            var queued = await WorkerQueue.EnqueueAsync(envelope, stream, id, details, cancellationToken).ConfigureAwait(false);
            return new SubmittedMessage(queued.Id, Addresses(envelope), queued.States);
        }
    }

    /// <summary>Queues one copy of <paramref name="message"/> per envelope recipient, each with the header fields <paramref name="headersFor"/>
    /// gives for its id and recipient (a List-Unsubscribe token), signed per copy so the signature covers them, and its own VERP
    /// envelope sender when <see cref="Bounces"/> is set.</summary>
    /// <remarks>The message is composed once; each copy is those bytes under its own fields (see <see cref="EnqueueRawCopiesAsync"/>).
    /// Copy 0 has <paramref name="id"/> (or a new id); copy i an id derived from it, so an idempotent retry asks for the same ids.
    /// Each copy commits on its own: a failure part-way leaves the earlier copies queued.</remarks>
    /// <exception cref="MailMessageFormatException">A field cannot be written safely.</exception>
    /// <exception cref="ArgumentException">No recipients, or an undeliverable address.</exception>
    /// <exception cref="QueueStoreException">The store failed.</exception>
    public async Task<IReadOnlyList<SubmittedMessage>> EnqueueCopiesAsync(MailMessage message, string? id, bool requireTls, EntryDetails details,
        Func<string, string, IReadOnlyList<(string Name, string Value)>>? headersFor, CancellationToken cancellationToken)
    {
        Envelope envelope = MessagePreparer.BuildEnvelope(message) with { RequireTls = requireTls };
        byte[] composed;
        var prepared = await _unsigned.PrepareAsync(message, withEnvelope: false, cancellationToken).ConfigureAwait(false);
        await using (prepared.ConfigureAwait(false))
        {
            using var bytes = new MemoryStream();
            await prepared.Data.CopyToAsync(bytes, cancellationToken).ConfigureAwait(false);
            composed = bytes.ToArray();
        }
        // BuildEnvelope refuses a message without From.
        return await EnqueueRawCopiesAsync(envelope, composed, message.From!, signed: false, id, details, headersFor, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>As <see cref="EnqueueCopiesAsync"/> for a ready-made message: the fields (if any: then it must not be signed yet) go on
    /// top of each copy, then it is signed; without fields every copy has the same bytes, signed once.</summary>
    public async Task<IReadOnlyList<SubmittedMessage>> EnqueueRawCopiesAsync(Envelope envelope, byte[] message, MailAddress headerFrom, bool signed, string? id,
        EntryDetails details, Func<string, string, IReadOnlyList<(string Name, string Value)>>? headersFor, CancellationToken cancellationToken)
    {
        // All checked before the first copy commits: a bad address must not leave half the copies queued.
        foreach (var recipient in envelope.Recipients)
        {
            RecipientGrouper.Validate(recipient, "envelope.to");
        }
        if (headersFor is null && !signed && Find(headerFrom.Host) is { } preparer)
        {
            byte[] signatures = await preparer.SignAsync(new MemoryStream(message, writable: false), cancellationToken).ConfigureAwait(false);
            message = [.. signatures, .. message];
            signed = true;
        }
        string baseId = id ?? WorkerQueue.NewId(WorkerQueue.Options.TimeProvider.GetUtcNow());
        var copies = new List<SubmittedMessage>(envelope.Recipients.Count);
        for (int i = 0; i < envelope.Recipients.Count; i++)
        {
            var recipient = envelope.Recipients[i];
            string copyId = CopyId(baseId, i);
            byte[] copy = message;
            if (headersFor is not null)
            {
                var fields = new System.Text.StringBuilder();
                foreach (var (name, value) in headersFor(copyId, recipient.Address))
                {
                    fields.Append(name).Append(": ").Append(value).Append("\r\n");
                }
                copy = [.. System.Text.Encoding.ASCII.GetBytes(fields.ToString()), .. message];
            }
            var copyEnvelope = envelope with { Sender = Bounces?.SenderFor(copyId, recipient.Address) ?? envelope.Sender, Recipients = [recipient] };
            copies.Add(await EnqueueRawAsync(copyEnvelope, copy, headerFrom, signed, copyId, details, cancellationToken).ConfigureAwait(false));
        }
        return copies;
    }

    /// <summary>The id of copy <paramref name="index"/>: the base id itself for 0, else the base UUIDv7 (same time) with its last
    /// 62 random bits replaced by a hash of (base id, index).</summary>
    internal static string CopyId(string baseId, int index)
    {
        if (index == 0)
        {
            return baseId;
        }
        byte[] uuid = Convert.FromHexString(baseId);
        byte[] hash = System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes($"{baseId}\n{index}"));
        hash.AsSpan(0, 8).CopyTo(uuid.AsSpan(8));
        uuid[8] = (byte)(0x80 | (uuid[8] & 0x3F)); // variant 10
        return Convert.ToHexStringLower(uuid);
    }

    /// <summary>The keys for <paramref name="host"/>: its own, else its nearest parent domain's (d=example.com signs mail.example.com).</summary>
    private MessagePreparer? Find(string host)
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

    private static string[] Addresses(Envelope envelope)
    {
        var addresses = new string[envelope.Recipients.Count];
        for (int i = 0; i < addresses.Length; i++)
        {
            addresses[i] = envelope.Recipients[i].Address;
        }
        return addresses;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var preparer in _domains.Values)
        {
            preparer.Dispose();
        }
        _unsigned.Dispose();
        await WorkerQueue.DisposeAsync().ConfigureAwait(false);
    }
}
