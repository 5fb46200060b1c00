using System;
using System.Collections.Generic;
using System.Net.Mail;
using System.Text;
using ModernMail.Delivery;
using ModernMail.Dkim;
using ModernMail.Mime;

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
    private volatile bool _initialized;

    /// <summary>Creates a queue over the store <see cref="QueueOptions.StoreFactory"/> makes, or else the one <see cref="QueueOptions.Store"/> names; the queue owns it.</summary>
    public MailQueue(QueueOptions options)
        : this(OpenStore(options), options, ownsStore: true)
    {
    }

    private static IQueueStore OpenStore(QueueOptions options)
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
    /// <exception cref="QueueStoreException">The message was not stored.</exception>
    public async Task<string> EnqueueAsync(Envelope envelope, Stream message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        ArgumentNullException.ThrowIfNull(message);
        if (envelope.Recipients.Count == 0)
        {
            throw new ArgumentException("The envelope has no recipients.", nameof(envelope));
        }
        await EnsureInitializedAsync(cancellationToken).ConfigureAwait(false);
        var now = Options.TimeProvider.GetUtcNow();
        string id = NewId(now);
        await _store.EnqueueAsync(new QueueEntry(id, envelope, now, now + Options.MessageLifetime), message, cancellationToken).ConfigureAwait(false);
        Enqueued?.Invoke();
        return id;
    }

    /// <summary>Composes <paramref name="message"/> (MIME), DKIM-signs it once with the identities of <see cref="QueueOptions.Broker"/>,
    /// and stores it for delivery to every To, Cc and Bcc recipient; returns its queue id once it is durably committed.</summary>
    /// <remarks>The envelope sender is <see cref="MailMessage.Sender"/> or else <see cref="MailMessage.From"/>. The message is signed at
    /// enqueue time, so every retry sends the same bytes.</remarks>
    /// <exception cref="ArgumentException">The message has no From or no recipients.</exception>
    /// <exception cref="QueueStoreException">The message was not stored.</exception>
    public async Task<string> EnqueueAsync(MailMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var sender = message.Sender ?? message.From ?? throw new ArgumentException("The message has no From address.", nameof(message));
        var recipients = new List<MailAddress>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (var list in (IEnumerable<MailAddressCollection>)[message.To, message.CC, message.Bcc])
        {
            foreach (var address in list)
            {
                if (seen.Add(address.Address))
                {
                    recipients.Add(address);
                }
            }
        }
        if (recipients.Count == 0)
        {
            throw new ArgumentException("The message has no recipients.", nameof(message));
        }
        var broker = Options.Broker;
        var writerOptions = new MailWriterOptions { HostName = broker?.HostName ?? Options.HostName, TimeProvider = broker?.TimeProvider ?? Options.TimeProvider };
        var composed = new MemoryStream();
        await using (composed.ConfigureAwait(false))
        {
            await MailMessageWriter.WriteAsync(message, composed, writerOptions, cancellationToken).ConfigureAwait(false);
            var signed = new MemoryStream((int)composed.Length + 2048);
            await using (signed.ConfigureAwait(false))
            {
                foreach (string header in await SignAsync(broker, composed, cancellationToken).ConfigureAwait(false))
                {
                    signed.Write(Encoding.ASCII.GetBytes(header));
                }
                composed.Position = 0;
                await composed.CopyToAsync(signed, cancellationToken).ConfigureAwait(false);
                signed.Position = 0;
                return await EnqueueAsync(new Envelope(sender, recipients), signed, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static async Task<IReadOnlyList<string>> SignAsync(BrokerConfig? broker, Stream composed, CancellationToken cancellationToken)
    {
        var configs = new List<DkimConfig>();
        if (broker?.DkimConfig is { } single)
        {
            configs.Add(single);
        }
        if (broker is not null)
        {
            configs.AddRange(broker.DkimSignatures);
        }
        if (configs.Count == 0)
        {
            return [];
        }
        var signers = new List<DkimSigner>(configs.Count);
        try
        {
            foreach (var config in configs)
            {
                signers.Add(new DkimSigner(config, new DkimSignerOptions { TimeProvider = broker!.TimeProvider })); // broker is non-null when configs is not empty
            }
            composed.Position = 0;
            var results = await DkimSigner.SignAllAsync(signers, composed, cancellationToken).ConfigureAwait(false);
            var headers = new List<string>(results.Length);
            foreach (var result in results)
            {
                headers.Add(result.Header);
            }
            return headers;
        }
        finally
        {
            foreach (var signer in signers)
            {
                signer.Dispose();
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

    internal string NewId(DateTimeOffset now) => Guid.CreateVersion7(now).ToString("N");

    internal void NotifyEnqueued() => Enqueued?.Invoke();

    /// <summary>Disposes the store if this queue created it.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_ownsStore)
        {
            await _store.DisposeAsync().ConfigureAwait(false);
        }
        _initLock.Dispose();
    }
}
