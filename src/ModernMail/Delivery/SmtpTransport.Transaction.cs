using ModernMail.Delivery.Internal;
using ModernMail.Routing.Internal;
using ModernMail.Smtp.Internal;

namespace ModernMail.Delivery;

public sealed partial class SmtpTransport
{
    private async Task RunTransactionAsync(DomainDelivery request, SmtpSession session, CancellationToken cancellationToken)
    {
        var group = request.Group;
        var caps = session.Capabilities;
        if ((request.SenderUtf8 || request.Message.HeadersHave8Bit) && !caps.SmtpUtf8)
        {
            string what = request.SenderUtf8 ? "the sender address" : "the message's UTF-8 header fields";
            FailAll(request, SmtpStage.Ehlo, request.SenderUtf8 ? FailureStatus.NonAsciiAddress : FailureStatus.Utf8Header, $"{what} need SMTPUTF8 (RFC 6531), which {session.Peer} does not support", session, null);
            return;
        }
        if (caps.MaxSize > 0 && request.Message.Length > caps.MaxSize)
        {
            FailAll(request, SmtpStage.Ehlo, FailureStatus.MessageTooBig, $"the message ({request.Message.Length} bytes) exceeds the size limit of {session.Peer} ({caps.MaxSize} bytes)", session, null);
            return;
        }
        var wire = new List<string>(group.Recipients.Count);
        var positions = new List<int>(group.Recipients.Count);
        bool utf8 = request.SenderUtf8 || request.Message.HeadersHave8Bit;
        for (int i = 0; i < group.Recipients.Count; i++)
        {
            var recipient = group.Recipients[i];
            if (RecipientGrouper.NeedsSmtpUtf8(recipient))
            {
                if (!caps.SmtpUtf8)
                {
                    Record(request, group.Indexes[i], Failure(request, recipient, SmtpStage.Ehlo, FailureStatus.NonAsciiAddress, session, null,
                        $"the address needs SMTPUTF8, which {session.Peer} does not support"));
                    continue;
                }
                utf8 = true;
            }
            wire.Add(RecipientGrouper.ToWireAddress(recipient));
            positions.Add(i);
        }
        if (wire.Count == 0)
        {
            return;
        }
        var transaction = new MailTransaction(request.ReversePath, wire, request.Message) { SmtpUtf8 = utf8, RequireTls = request.RequireTls };
        Exception? error = null;
        try
        {
            await session.SendAsync(transaction, cancellationToken).ConfigureAwait(false);
        }
        catch (ModernMailException ex)
        {
            session.MarkBroken();
            error = ex;
        }
        catch (OperationCanceledException)
        {
            session.MarkBroken();
            throw;
        }
        for (int k = 0; k < positions.Count; k++)
        {
            int i = positions[k];
            Record(request, group.Indexes[i], Decide(request, group.Recipients[i], transaction, k, session, error));
        }
    }
}
