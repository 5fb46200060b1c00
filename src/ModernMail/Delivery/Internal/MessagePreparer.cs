using System.Net.Mail;
using System.Text;
using ModernMail.Dkim;
using ModernMail.Mime;
using ModernMail.Routing.Internal;

namespace ModernMail.Delivery.Internal;

/// <summary>
/// The "prepare" step every front door shares (<see cref="MailBroker"/>, <see cref="Queue.MailQueue"/>): validate, build
/// the envelope, compose once into a spool (memory, then a temporary file past 1 MiB) and sign with signers built once.
/// </summary>
internal sealed class MessagePreparer : IDisposable
{
    private readonly IReadOnlyList<DkimSigner> _signers;
    private readonly MailWriterOptions _writerOptions;

    /// <summary>Builds the signers <paramref name="config"/> names (once: key import is the expensive part).</summary>
    /// <exception cref="DkimException">A DKIM configuration is invalid.</exception>
    public MessagePreparer(BrokerConfig config)
    {
        _signers = DkimSigner.CreateAll(config);
        _writerOptions = new MailWriterOptions { HostName = config.HostName, TimeProvider = config.TimeProvider };
    }

    /// <summary>Envelope sender: Sender, else From. Recipients: To, Cc, Bcc, distinct ignoring case.</summary>
    /// <exception cref="MailMessageFormatException">A field of the message cannot be written safely (no From, for one).</exception>
    /// <exception cref="ArgumentException">The message has no recipients, or an address is not deliverable.</exception>
    public static Envelope BuildEnvelope(MailMessage message)
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

    /// <summary>Validates, composes and signs <paramref name="message"/>; the caller disposes the result.</summary>
    /// <param name="message">The message.</param>
    /// <param name="withEnvelope">False to render only (no recipients needed); <see cref="PreparedMessage.Envelope"/> is then null.</param>
    /// <param name="cancellationToken">Cancels composing and signing.</param>
    public async Task<PreparedMessage> PrepareAsync(MailMessage message, bool withEnvelope, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(message);
        var envelope = withEnvelope ? BuildEnvelope(message) : null;
        var spool = new SpoolStream();
        try
        {
            using (var compose = Diagnostics.MailTelemetry.Source.StartActivity("compose"))
            {
                await MailMessageWriter.WriteAsync(message, spool, _writerOptions, cancellationToken).ConfigureAwait(false);
                compose?.SetTag("modernmail.message.size", spool.Length);
            }
            spool.Position = 0;
            byte[] signatures = await SignAsync(spool, cancellationToken).ConfigureAwait(false);
            spool.Position = 0;
            return new PreparedMessage(envelope, new PrefixedStream(signatures, spool), spool);
        }
        catch
        {
            await spool.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>The DKIM-Signature fields for a composed message read from its current position (empty when no keys are configured).</summary>
    public async Task<byte[]> SignAsync(Stream message, CancellationToken cancellationToken)
    {
        if (_signers.Count == 0)
        {
            return [];
        }
        var results = await DkimSigner.SignAllAsync(_signers, message, cancellationToken).ConfigureAwait(false);
        var text = new StringBuilder();
        foreach (var result in results)
        {
            text.Append(result.Header);
        }
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    public void Dispose()
    {
        foreach (var signer in _signers)
        {
            signer.Dispose();
        }
    }
}
