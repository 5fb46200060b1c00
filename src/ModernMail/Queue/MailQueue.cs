using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Net.Mail;
using ModernMail.Delivery;
using ModernMail.Delivery.Internal;
using ModernMail.Diagnostics;
using ModernMail.Dkim;
using ModernMail.Mime;
using ModernMail.Queue.Internal;
using ModernMail.Routing.Internal;

namespace ModernMail.Queue;

/// <summary>A durable outbound queue: stores messages, reports their status, and hands them to a <see cref="QueueWorker"/>.</summary>
/// <example>
/// <code>
/// await using var queue = new MailQueue(new QueueOptions { Store = "sqlite:/var/spool/myapp" });
/// string id = await queue.EnqueueAsync(envelope, rawMessage);
/// await using var worker = new QueueWorker(queue, transport);
/// await worker.StartAsync();
/// </code>
/// </example>
public sealed class MailQueue : IAsyncDisposable
{
    private readonly IQueueStore _store;
    private readonly bool _ownsStore;
    private readonly SemaphoreSlim _initLock = new(1, 1);
    private readonly Lock _preparerLock = new();
    private volatile bool _initialized;
    private MessagePreparer? _preparer;

    /// <summary>Creates a queue over the store <see cref="QueueOptions.StoreFactory"/> makes, or else the one <see cref="QueueOptions.Store"/> names; the queue owns it.</summary>
    public MailQueue(QueueOptions options)
        : this(OpenStore(options), options, ownsStore: true)
    {
    }

    /// <summary>The store <paramref name="options"/> describe: <see cref="QueueOptions.StoreFactory"/>'s, else the one <see cref="QueueOptions.Store"/> names.</summary>
    internal static IQueueStore OpenStore(QueueOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.StoreFactory is { } factory
            ? factory() ?? throw new ArgumentException("QueueOptions.StoreFactory returned null.", nameof(options))
            : QueueStoreFactory.Create(options.Store);
    }

    /// <summary>Creates a queue over an existing store; the caller keeps ownership of <paramref name="store"/>.</summary>
    public MailQueue(IQueueStore store, QueueOptions? options = null)
        : this(store, options ?? new QueueOptions(), ownsStore: false)
    {
    }

    private MailQueue(IQueueStore store, QueueOptions options, bool ownsStore)
    {
        ArgumentNullException.ThrowIfNull(store);
        options.Validate();
        _store = store;
        Options = options;
        _ownsStore = ownsStore;
    }

    /// <summary>The options the queue was created with.</summary>
    public QueueOptions Options { get; }

    /// <summary>The underlying store.</summary>
    public IQueueStore Store => _store;

    /// <summary>Raised after a message is stored by this instance, so an in-process worker can start at once.</summary>
    internal event Action? Enqueued;

    /// <summary>Stores a composed message (raw RFC 5322 bytes, CRLF, already signed) for delivery; returns its queue id once it is durably committed.</summary>
    /// <exception cref="ArgumentException">The envelope has no recipients, or an address cannot be used in the envelope (the rules of <see cref="SmtpTransport.DeliverAsync"/>).</exception>
    /// <exception cref="QueueStoreException">The message was not stored.</exception>
    public async Task<string> EnqueueAsync(Envelope envelope, Stream message, CancellationToken cancellationToken = default)
    {
        using var activity = MailTelemetry.StartSubmit(MailTelemetry.DoorQueue);
        return await EnqueueAsync(envelope, message, id: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Stores a composed message under <paramref name="id"/> (a new id when null) unless a message with that id is
    /// stored already: how an idempotent submission resumed after a crash queues nothing twice.</summary>
    internal async Task<string> EnqueueAsync(Envelope envelope, Stream message, string? id, CancellationToken cancellationToken) =>
        (await EnqueueAsync(envelope, message, id, EntryDetails.None, cancellationToken).ConfigureAwait(false)).Id;

    /// <summary>As above, with what the store keeps besides the envelope; returns the id and each recipient's first state.</summary>
    internal async Task<EnqueuedMessage> EnqueueAsync(Envelope envelope, Stream message, string? id, EntryDetails details, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(message);
        if (envelope.Recipients.Count == 0)
        {
            throw new ArgumentException("The envelope has no recipients.", nameof(envelope));
        }
        // Refused now rather than bounced at every delivery attempt.
        if (envelope.Sender is not null)
        {
            RecipientGrouper.Validate(envelope.Sender, nameof(envelope));
        }
        foreach (var recipient in envelope.Recipients)
        {
            RecipientGrouper.Validate(recipient, nameof(envelope));
        }
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        if (id is not null && await _store.GetAsync(id, cancellationToken).ConfigureAwait(false) is { } existing)
        {
            return new EnqueuedMessage(id, existing.Recipients.Select(r => r.State == RecipientState.Suppressed ? RecipientState.Suppressed : RecipientState.Queued).ToList());
        }
        var now = Options.TimeProvider.GetUtcNow();
        id ??= NewId(now);
        var entry = new QueueEntry(id, envelope, now, now + Options.MessageLifetime)
        {
            SenderDomain = details.SenderDomain,
            Annotations = details.Annotations,
            // The submission's span (or the caller's), so the delivery attempts join the trace of the submission.
            TraceParent = details.TraceParent ?? Activity.Current?.Id,
        };
        IReadOnlyList<RecipientState> states;
        using (var commit = MailTelemetry.Source.StartActivity("store.commit"))
        {
            commit?.SetTag("modernmail.message.id", id);
            states = await _store.EnqueueAsync(entry, message, cancellationToken).ConfigureAwait(false);
        }
        Enqueued?.Invoke();
        RecordEnqueued(envelope, details.Door, states);
        return new EnqueuedMessage(id, states);
    }

    /// <summary>Composes <paramref name="message"/> (MIME), DKIM-signs it with <see cref="QueueOptions.DkimSignatures"/>,
    /// and stores it for delivery to every To, Cc and Bcc recipient; returns its queue id once it is durably committed.</summary>
    /// <remarks>The same preparation as <see cref="MailBroker.SendAsync"/> (validation, envelope, composition, signers built once
    /// per queue). The envelope sender is <see cref="MailMessage.Sender"/> or else <see cref="MailMessage.From"/>. The message is
    /// signed at enqueue time, so every retry sends the same bytes.</remarks>
    /// <exception cref="MailMessageFormatException">A field of the message cannot be written safely (no From, for one).</exception>
    /// <exception cref="ArgumentException">The message has no recipients, or an address is not deliverable.</exception>
    /// <exception cref="DkimException">A DKIM identity of the options is invalid.</exception>
    /// <exception cref="QueueStoreException">The message was not stored.</exception>
    public async Task<string> EnqueueAsync(MailMessage message, CancellationToken cancellationToken = default)
    {
        using var activity = MailTelemetry.StartSubmit(MailTelemetry.DoorQueue);
        return await EnqueueAsync(message, id: null, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>As <see cref="EnqueueAsync(MailMessage, CancellationToken)"/>, under a given id (see <see cref="EnqueueAsync(Envelope, Stream, string, CancellationToken)"/>).</summary>
    internal Task<string> EnqueueAsync(MailMessage message, string? id, CancellationToken cancellationToken) =>
        EnqueueAsync(message, id, requireTls: false, cancellationToken);

    /// <summary>As above, with REQUIRETLS (RFC 8689) asked for or not.</summary>
    internal async Task<string> EnqueueAsync(MailMessage message, string? id, bool requireTls, CancellationToken cancellationToken) =>
        (await EnqueueAsync(message, id, requireTls, EntryDetails.None, cancellationToken).ConfigureAwait(false)).Id;

    /// <summary>As above, with what the store keeps besides the envelope (the sender domain defaults to the From domain).</summary>
    internal async Task<EnqueuedMessage> EnqueueAsync(MailMessage message, string? id, bool requireTls, EntryDetails details, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var prepared = await Preparer.PrepareAsync(message, withEnvelope: true, cancellationToken).ConfigureAwait(false);
        await using (prepared.ConfigureAwait(false))
        {
            // The From domain owns the suppression list, whatever the envelope sender (a VERP address, a bounce domain) is.
            details = details with { SenderDomain = details.SenderDomain ?? message.From?.Host };
            return await EnqueueAsync(prepared.Envelope! with { RequireTls = requireTls }, prepared.Data, id, details, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The preparer, built on first use so that a queue only delivering never imports signing keys.</summary>
    private MessagePreparer Preparer
    {
        get
        {
            lock (_preparerLock)
            {
                if (_preparer is null)
                {
                    var config = new BrokerConfig { HostName = Options.HostName, TimeProvider = Options.TimeProvider };
                    foreach (var signature in Options.DkimSignatures)
                    {
                        config.DkimSignatures.Add(signature);
                    }
                    _preparer = new MessagePreparer(config);
                }
                return _preparer;
            }
        }
    }

    /// <summary>Reads the status of a message and each recipient; null when the id is unknown (or purged).</summary>
    public async Task<QueuedMessage?> GetAsync(string id, CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await _store.GetAsync(id, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists messages oldest first; <paramref name="pendingOnly"/> skips complete ones.</summary>
    public async Task<IReadOnlyList<QueuedMessage>> ListAsync(bool pendingOnly = true, int limit = 1000, CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await _store.ListAsync(pendingOnly, limit, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists messages matching <paramref name="query"/>, filtered by the store, in id (submission) order.</summary>
    public async Task<IReadOnlyList<QueuedMessage>> QueryAsync(QueueQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await _store.QueryAsync(query, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes every undelivered recipient of a message due now; returns false when the id is unknown.</summary>
    public async Task<bool> RetryAsync(string id, CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        bool found = await _store.RetryNowAsync(id, Options.TimeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (found)
        {
            Enqueued?.Invoke();
        }
        return found;
    }

    /// <summary>Deletes complete messages, or every message when <paramref name="includePending"/>; returns how many.</summary>
    public async Task<int> PurgeAsync(bool includePending = false, CancellationToken cancellationToken = default)
    {
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        return await _store.PurgeAsync(includePending, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the store's schema if needed; called automatically by the other methods.</summary>
    /// <exception cref="QueueStoreException">The store is corrupt, locked or unreachable.</exception>
    public async Task EnsureInitializedAsync(CancellationToken cancellationToken = default)
    {
        if (_initialized)
        {
            return;
        }
        await _initLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (!_initialized)
            {
                await _store.InitializeAsync(cancellationToken).ConfigureAwait(false);
                _initialized = true;
            }
        }
        finally
        {
            _initLock.Release();
        }
    }

    /// <summary>Counts the stored message by its door, and the recipients the suppression list stopped at the door.</summary>
    private static void RecordEnqueued(Envelope envelope, string door, IReadOnlyList<RecipientState> states)
    {
        MailTelemetry.MessageSubmitted(door);
        for (int i = 0; i < states.Count && i < envelope.Recipients.Count; i++)
        {
            if (states[i] == RecipientState.Suppressed)
            {
                MailTelemetry.RecipientReached(RecipientState.Suppressed, null, envelope.Recipients[i].Address, BounceCategory.None);
            }
        }
    }

    internal string NewId(DateTimeOffset now) => Guid.CreateVersion7(now).ToString("N");

    internal void NotifyEnqueued() => Enqueued?.Invoke();

    /// <summary>Disposes the store if this queue created it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_ownsStore)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }
        _preparer?.Dispose();
        _initLock.Dispose();
    }
}
