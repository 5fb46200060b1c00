using System.Net.Mail;
using ModernMail.Delivery.Internal;
using ModernMail.Smtp;
using ModernMail.Smtp.Internal;

namespace ModernMail.Delivery;

public sealed partial class SmtpTransport
{
    private static DeliveryResult Decide(DomainDelivery request, MailAddress recipient, MailTransaction transaction, int k, SmtpSession session, Exception? error)
    {
        var rcpt = transaction.RcptReplies[k];
        if (transaction.MailReply is { IsPositive: false } mail)
        {
            return Replied(request, recipient, SmtpStage.MailFrom, mail, session, "MAIL FROM rejected: ");
        }
        if (rcpt is { IsPositive: false })
        {
            return Replied(request, recipient, SmtpStage.RcptTo, rcpt, session, "RCPT TO rejected: ");
        }
        if (rcpt is { IsPositive: true })
        {
            if (transaction.FinalReply is { } final)
            {
                return Replied(request, recipient, SmtpStage.FinalDot, final, session, "message rejected after DATA: ");
            }
            if (transaction.DataReply is { Code: not 354 } data)
            {
                return Replied(request, recipient, SmtpStage.Data, data, session, "DATA rejected: ");
            }
        }
        // No reply decided: the session broke (or went out of step) during the first command still unanswered.
        var stage = transaction.MailReply is null ? SmtpStage.MailFrom
            : rcpt is null ? SmtpStage.RcptTo
            : transaction.DataReply is null ? SmtpStage.Data
            : SmtpStage.FinalDot;
        return Failure(request, recipient, stage, FailureStatus.BadConnection, session, error, error?.Message ?? "the transaction was interrupted");
    }

    /// <summary>The result a server reply decided, classified by the one classifier.</summary>
    private static DeliveryResult Replied(DomainDelivery request, MailAddress recipient, SmtpStage stage, SmtpReply reply, SmtpSession session, string rejected)
    {
        var decision = DeliveryClassifier.Classify(stage, reply);
        string detail = decision.Outcome == DeliveryOutcome.Delivered ? reply.ToString() : rejected + reply;
        return Result(request, recipient, stage, decision, session, reply, null, detail);
    }

    /// <summary>The result of a failure no reply decided, classified by the status it stands for.</summary>
    private static DeliveryResult Failure(DomainDelivery request, MailAddress recipient, SmtpStage stage, EnhancedStatusCode status, SmtpSession? session, Exception? error, string detail)
        => Result(request, recipient, stage, DeliveryClassifier.Classify(stage, status, detail), session, null, error, detail);

    private static DeliveryResult Result(DomainDelivery request, MailAddress recipient, SmtpStage stage, DeliveryClassification decision, SmtpSession? session, SmtpReply? reply, Exception? error, string detail)
    {
        if (session?.TlsFallbackReason is { } fallback)
        {
            detail = $"{detail} (sent without TLS: {fallback})";
        }
        return new DeliveryResult(recipient, decision.Outcome == DeliveryOutcome.Delivered, decision.Outcome == DeliveryOutcome.Transient)
        {
            Stage = stage,
            Category = decision.Category,
            MxHost = session?.MxHost,
            UsedTls = session?.IsTls ?? false,
            TlsProtocol = session is { IsTls: true } ? session.TlsProtocol.ToString() : null,
            TlsCipher = session?.TlsCipher,
            CertificateValid = session is { IsTls: true, CertificateValid: true },
            AppliedTlsPolicy = request.Policy,
            Reply = reply,
            Exception = error,
            Detail = detail,
        };
    }

    private void FailAll(DomainDelivery request, SmtpStage stage, EnhancedStatusCode status, string reason, SmtpSession? session, Exception? error)
    {
        var group = request.Group;
        for (int i = 0; i < group.Recipients.Count; i++)
        {
            Record(request, group.Indexes[i], Failure(request, group.Recipients[i], stage, status, session, error, reason));
        }
    }

    private void Record(DomainDelivery request, int index, DeliveryResult result)
    {
        request.Results[index] = result;
        if (result.Delivered)
        {
            DeliveryLog.Delivered(_logger, result.Recipient.Address, result.MxHost, result.UsedTls, result.Detail);
        }
        else
        {
            DeliveryLog.NotDelivered(_logger, result.Recipient.Address, result.IsTransient ? "transient" : "permanent", result.MxHost, result.Detail);
        }
    }
}
