using System.Net.Mail;
using System.Text;
using ModernMail.Delivery;
using ModernMail.Delivery.Internal;
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
    private readonly DkimSigner[] _signers;
    private readonly MailWriterOptions _writerOptions;
    private int _disposed;

    /// <summary>Creates a broker with the given configuration.</summary>
    /// <exception cref="ArgumentException">The host name, a route or a DNS server is invalid.</exception>
    /// <exception cref="DkimException">A DKIM configuration is invalid.</exception>
    public MailBroker(BrokerConfig config)
        : this(config, null)
    {
    }

    internal MailBroker(BrokerConfig config, IDnsLookup? dns)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _transport = dns is null ? new SmtpTransport(config) : new SmtpTransport(config, dns);
        var signers = new List<DkimSigner>();
        try
        {
            var options = new DkimSignerOptions { TimeProvider = config.TimeProvider };
            if (config.DkimConfig is { } single)
            {
                signers.Add(new DkimSigner(single, options));
            }
            foreach (var more in config.DkimSignatures)
            {
                signers.Add(new DkimSigner(more, options));
            }
        }
        catch
        {
            foreach (var signer in signers)
            {
                signer.Dispose();
            }
            _transport.Dispose();
            throw;
        }
        _signers = [.. signers];
        _writerOptions = new MailWriterOptions { HostName = config.HostName, TimeProvider = config.TimeProvider };
    }

    /// <summary>The configuration this broker was created with.</summary>
    public BrokerConfig Config => _config;

    /// <summary>Composes, signs and delivers <paramref name="message"/>, blocking until every recipient has an outcome.</summary>
    /// <returns>One result per distinct recipient of To, Cc and Bcc, in that order; delivery failures are results, not exceptions.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    /// <exception cref="ArgumentException">The message has no recipients, or an address contains CR, LF or NUL.</exception>
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
    /// <exception cref="ArgumentException">The message has no recipients, or an address contains CR, LF or NUL.</exception>
    /// <exception cref="MailMessageFormatException">A field of the message cannot be written safely.</exception>
    /// <exception cref="ObjectDisposedException">The broker was disposed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<IReadOnlyList<DeliveryResult>> SendAsync(MailMessage message, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var envelope = BuildEnvelope(message);
        var spool = new SpoolStream();
        await using (spool.ConfigureAwait(false))
        {
            byte[] signatures = await ComposeAndSignAsync(message, spool, cancellationToken).ConfigureAwait(false);
            using var data = new PrefixedStream(signatures, spool);
            return await _transport.DeliverAsync(envelope, data, cancellationToken).ConfigureAwait(false);
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
        var spool = new SpoolStream();
        await using (spool.ConfigureAwait(false))
        {
            byte[] signatures = await ComposeAndSignAsync(message, spool, cancellationToken).ConfigureAwait(false);
            await destination.WriteAsync(signatures, cancellationToken).ConfigureAwait(false);
            await spool.CopyToAsync(destination, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Composes once into <paramref name="spool"/>, signs by streaming over it, and leaves it rewound; returns the signature fields.</summary>
    private async Task<byte[]> ComposeAndSignAsync(MailMessage message, SpoolStream spool, CancellationToken cancellationToken)
    {
        await MailMessageWriter.WriteAsync(message, spool, _writerOptions, cancellationToken).ConfigureAwait(false);
        spool.Position = 0;
        if (_signers.Length == 0)
        {
            return [];
        }
        var results = await DkimSigner.SignAllAsync(_signers, spool, cancellationToken).ConfigureAwait(false);
        spool.Position = 0;
        var text = new StringBuilder();
        foreach (var result in results)
        {
            text.Append(result.Header);
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>Envelope sender: Sender, else From. Recipients: To, Cc, Bcc, distinct ignoring case.</summary>
    internal static Envelope BuildEnvelope(MailMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        MailMessageValidator.Validate(message);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var recipients = new List<MailAddress>();
        foreach (var list in (MailAddressCollection[])[message.To, message.CC, message.Bcc])
        {
            foreach (var address in list)
            {
                RecipientGrouper.Validate(address, nameof(message));
                if (seen.Add(address.Address))
                {
                    recipients.Add(address);
                }
            }
        }
        if (recipients.Count == 0)
        {
            throw new ArgumentException("The message has no recipients (To, Cc or Bcc).", nameof(message));
        }
        var sender = message.Sender ?? message.From;
        if (sender is not null)
        {
            RecipientGrouper.Validate(sender, nameof(message));
        }
        return new Envelope(sender, recipients);
    }

    /// <summary>Closes pooled connections (QUIT) and releases signing keys.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        _transport.Dispose();
        DisposeSigners();
    }

    /// <summary>Closes pooled connections (QUIT) and releases signing keys.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }
        await _transport.DisposeAsync().ConfigureAwait(false);
        DisposeSigners();
    }

    private void DisposeSigners()
    {
        foreach (var signer in _signers)
        {
            signer.Dispose();
        }
    }

    internal void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
}
