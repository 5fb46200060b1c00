using System.Net.Mail;
using System.Text;
using ModernMail.Delivery;
using ModernMail.Dkim;
using ModernMail.Mime;

namespace ModernMail.Cli;

/// <summary>Compose, sign and deliver: the path every command takes through the library.</summary>
/// <remarks>Interim: composes with MailMessageWriter, signs with DkimSigner and delivers with SmtpTransport until MailBroker.SendAsync/RenderAsync land.</remarks>
internal static class MessagePipeline
{
    /// <summary>Writes the exact bytes DATA would carry (signed, not dot-stuffed) to <paramref name="destination"/>.</summary>
    public static async Task RenderAsync(BrokerConfig config, MailMessage message, Stream destination, CancellationToken cancellationToken)
    {
        using var composed = new MemoryStream();
        await MailMessageWriter.WriteAsync(message, composed, new MailWriterOptions { HostName = config.HostName, TimeProvider = config.TimeProvider }, cancellationToken);
        composed.Position = 0;
        var signers = new List<DkimSigner>();
        try
        {
            if (config.DkimConfig is { } single)
            {
                signers.Add(new DkimSigner(single, new DkimSignerOptions { TimeProvider = config.TimeProvider }));
            }

            foreach (DkimConfig dkim in config.DkimSignatures)
            {
                signers.Add(new DkimSigner(dkim, new DkimSignerOptions { TimeProvider = config.TimeProvider }));
            }

            DkimSignResult[] signatures = await DkimSigner.SignAllAsync(signers, composed, cancellationToken);
            foreach (DkimSignResult signature in signatures)
            {
                await destination.WriteAsync(Encoding.ASCII.GetBytes(signature.Header), cancellationToken);
            }
        }
        finally
        {
            foreach (DkimSigner signer in signers)
            {
                signer.Dispose();
            }
        }

        composed.Position = 0;
        await composed.CopyToAsync(destination, cancellationToken);
        await destination.FlushAsync(cancellationToken);
    }

    /// <summary>Sends <paramref name="message"/> to every distinct To, Cc and Bcc recipient; one result each.</summary>
    public static async Task<IReadOnlyList<DeliveryResult>> SendAsync(BrokerConfig config, MailMessage message, CancellationToken cancellationToken)
    {
        using var raw = new MemoryStream();
        await RenderAsync(config, message, raw, cancellationToken);
        raw.Position = 0;
        var recipients = new List<MailAddress>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (MailAddressCollection collection in new[] { message.To, message.CC, message.Bcc })
        {
            foreach (MailAddress address in collection)
            {
                if (seen.Add(address.Address))
                {
                    recipients.Add(address);
                }
            }
        }

        using var transport = new SmtpTransport(config);
        return await transport.DeliverAsync(new Envelope(message.Sender ?? message.From, recipients), raw, cancellationToken);
    }
}
