using System.Net.Mail;
using System.Text;
using ModernMail.Delivery;
using ModernMail.Delivery.Internal;
using ModernMail.Diagnostics;
using ModernMail.Dkim;
using ModernMail.Dns;
using ModernMail.Mime;
using ModernMail.Routing.Internal;

namespace ModernMail;

/// <summary>Composes, signs and delivers messages straight to the recipients' mail exchangers.</summary>
/// <remarks>Thread-safe: concurrent sends share a pool of connections per mail exchanger.</remarks>
public sealed class MailBroker : IDisposable, IAsyncDisposable
{
    private readonly BrokerConfig _config;
    private readonly SmtpTransport _transport;
    private readonly bool _ownsTransport;
    private readonly MessagePreparer _preparer;
    private int _disposed;

    /// <summary>Creates a broker with the given configuration.</summary>
    /// <exception cref="ArgumentException">The host name, a route or a DNS server is invalid.</exception>
    /// <exception cref="DkimException">A DKIM configuration is invalid.</exception>
    public MailBroker(BrokerConfig config)
        : this(config, null)
    {
    }

    internal MailBroker(BrokerConfig config, IDnsLookup? dns)
        : this(config, dns is null ? new SmtpTransport(ValidateNotNull(config)) : new SmtpTransport(ValidateNotNull(config), dns), ownsTransport: true)
    {
    }

    /// <summary>A broker that delivers through <paramref name="transport"/> (its pool and DNS cache shared, for example with a queue
    /// worker in the same host), disposing it only when <paramref name="ownsTransport"/>.</summary>
    internal MailBroker(BrokerConfig config, SmtpTransport transport, bool ownsTransport)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(transport);
        _config = config;
        _transport = transport;
        _ownsTransport = ownsTransport;
        try
        {
            _preparer = new MessagePreparer(config);
        }
        catch
        {
            if (ownsTransport)
            {
                _transport.Dispose();
            }
            throw;
        }
    }

    /// <summary>The configuration this broker was created with.</summary>
    public BrokerConfig Config => _config;

    /// <summary>Composes, signs and delivers <paramref name="message"/>, blocking until every recipient has an outcome.</summary>
    /// <returns>One result per distinct recipient of To, Cc and Bcc, in that order; delivery failures are results, not exceptions.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    /// <exception cref="ArgumentException">The message has no recipients.</exception>
    /// <exception cref="MailMessageFormatException">A field of the message cannot be written safely.</exception>
    /// <exception cref="ObjectDisposedException">The broker was disposed.</exception>
    public IReadOnlyList<DeliveryResult> Send(MailMessage message)
    {
        ThrowIfDisposed();
        BuildEnvelope(message);
        // The one synchronous entry point: block once, here, on the async pipeline.
        return Task.Run(() => SendAsync(message, CancellationToken.None)).GetAwaiter().GetResult();
    }

    /// <summary>Composes, signs and delivers <paramref name="message"/>.</summary>
    /// <returns>One result per distinct recipient of To, Cc and Bcc, in that order; delivery failures are results, not exceptions.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    /// <exception cref="ArgumentException">The message has no recipients.</exception>
    /// <exception cref="MailMessageFormatException">A field of the message cannot be written safely.</exception>
    /// <exception cref="ObjectDisposedException">The broker was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IReadOnlyList<DeliveryResult>> SendAsync(MailMessage message, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        using var activity = MailTelemetry.StartSubmit(MailTelemetry.DoorLibrary);
        var prepared = await _preparer.PrepareAsync(message, withEnvelope: true, cancellationToken).ConfigureAwait(false);
        await using (prepared.ConfigureAwait(false))
        {
            MailTelemetry.MessageSubmitted(MailTelemetry.DoorLibrary);
            var results = await _transport.DeliverAsync(prepared.Envelope!, prepared.Data, cancellationToken).ConfigureAwait(false);
            Record(results, activity);
            return results;
        }
    }

    /// <summary>Counts each recipient's outcome: without a queue, a transient failure is as far as it gets (deferred to the caller).</summary>
    private static void Record(IReadOnlyList<DeliveryResult> results, System.Diagnostics.Activity? activity)
    {
        int failed = 0;
        foreach (var result in results)
        {
            var state = result.Delivered ? Queue.RecipientState.Delivered : result.IsTransient ? Queue.RecipientState.Deferred : Queue.RecipientState.Bounced;
            failed += result.Delivered ? 0 : 1;
            MailTelemetry.RecipientReached(state, result.MxHost, result.Recipient.Address, result.Category);
        }
        if (failed > 0)
        {
            MailTelemetry.Fail(activity, $"{failed} of {results.Count} recipients not delivered");
        }
    }

    /// <summary>Writes the exact bytes <see cref="SendAsync"/> would send as DATA (DKIM-Signature fields, then the message; before dot-stuffing).</summary>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="MailMessageFormatException">A field of the message cannot be written safely.</exception>
    /// <exception cref="ObjectDisposedException">The broker was disposed.</exception>
    public async Task RenderAsync(MailMessage message, Stream destination, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(destination);
        ThrowIfDisposed();
        var prepared = await _preparer.PrepareAsync(message, withEnvelope: false, cancellationToken).ConfigureAwait(false);
        await using (prepared.ConfigureAwait(false))
        {
            await prepared.Data.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Envelope sender: Sender, else From. Recipients: To, Cc, Bcc, distinct ignoring case.</summary>
    internal static Envelope BuildEnvelope(MailMessage message) => MessagePreparer.BuildEnvelope(message);

    /// <summary>Closes pooled connections (QUIT) and releases signing keys.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_ownsTransport)
        {
            _transport.Dispose();
        }
        DisposeSigners();
    }

    /// <summary>Closes pooled connections (QUIT) and releases signing keys.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        if (_ownsTransport)
        {
            await _transport.DisposeAsync().ConfigureAwait(false);
        }
        DisposeSigners();
    }

    private void DisposeSigners() => _preparer.Dispose();

    private static BrokerConfig ValidateNotNull(BrokerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return config;
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
