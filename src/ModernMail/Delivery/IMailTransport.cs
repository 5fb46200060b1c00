namespace ModernMail.Delivery;

/// <summary>Hands an already composed and signed RFC 5322 message to the recipients' mail exchangers.</summary>
/// <remarks>The seam between the queue and delivery: the queue stores bytes once and calls this on every attempt.</remarks>
public interface IMailTransport
{
    /// <summary>Delivers <paramref name="message"/> (raw RFC 5322 bytes, CRLF, not dot-stuffed) to every recipient of <paramref name="envelope"/>; never throws for a delivery failure.</summary>
    /// <param name="envelope">Who the message is from and to.</param>
    /// <param name="message">A readable, seekable stream of the message; it may be read once per destination. It should end with CRLF:
    /// DATA adds one otherwise (RFC 5321 §4.1.1.4), and a DKIM signature made over the bytes without it may not verify.</param>
    /// <param name="cancellationToken">Cancels the delivery.</param>
    /// <returns>One result per recipient of the envelope, in envelope order.</returns>
    Task<IReadOnlyList<DeliveryResult>> DeliverAsync(Envelope envelope, Stream message, CancellationToken cancellationToken = default);
}
