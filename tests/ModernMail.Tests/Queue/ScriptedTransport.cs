using System.Collections.Concurrent;
using System.Net.Mail;
using ModernMail.Delivery;
using ModernMail.Smtp;
using Xunit;

namespace ModernMail.Tests.Queue;

/// <summary>The queue's collaborator: answers each recipient with a scripted reply and records what it was given.</summary>
internal sealed class ScriptedTransport : IMailTransport
{
    private readonly Func<string, int, SmtpReply?> _script;
    private readonly SmtpStage _stage;
    private readonly ConcurrentDictionary<string, int> _attempts = new(StringComparer.OrdinalIgnoreCase);

    /// <param name="script">Recipient address and 1-based attempt number for that address -> reply (2xx delivered); null = connection failure.</param>
    /// <param name="stage">The command a failure reply answers; the result is decided by the classifier, as SmtpTransport does.</param>
    public ScriptedTransport(Func<string, int, SmtpReply?> script, SmtpStage stage = SmtpStage.RcptTo)
    {
        _script = script;
        _stage = stage;
    }

    public ConcurrentQueue<(Envelope Envelope, byte[] Message)> Calls { get; } = new();

    public Func<Envelope, CancellationToken, Task>? BeforeDeliver { get; set; }

    public async Task<IReadOnlyList<DeliveryResult>> DeliverAsync(Envelope envelope, Stream message, CancellationToken cancellationToken = default)
    {
        if (BeforeDeliver is not null)
        {
            await BeforeDeliver(envelope, cancellationToken);
        }
        using var copy = new MemoryStream();
        await message.CopyToAsync(copy, cancellationToken);
        Calls.Enqueue((envelope, copy.ToArray()));
        var results = new List<DeliveryResult>();
        foreach (var recipient in envelope.Recipients)
        {
            int attempt = _attempts.AddOrUpdate(recipient.Address, 1, (_, n) => n + 1);
            var reply = _script(recipient.Address, attempt);
            if (reply is null)
            {
                results.Add(new DeliveryResult(recipient, false, true) { Detail = "connection refused by 127.0.0.9:25" });
                continue;
            }
            var decision = reply.IsPositive
                ? new DeliveryClassification(DeliveryOutcome.Delivered, BounceCategory.None)
                : DeliveryClassifier.Classify(_stage, reply);
            results.Add(new DeliveryResult(recipient, decision.Outcome == DeliveryOutcome.Delivered, decision.Outcome == DeliveryOutcome.Transient)
            {
                Reply = reply,
                MxHost = "mx.example.test",
                Stage = _stage,
                Category = decision.Category,
            });
        }
        return results;
    }

    public int AttemptsFor(string address) => _attempts.TryGetValue(address, out int n) ? n : 0;

    public static SmtpReply Reply(int code, string enhanced, string text)
    {
        EnhancedStatusCode.TryParse(enhanced, out EnhancedStatusCode? parsed);
        return new SmtpReply(code, parsed, [text]);
    }

    public static MailAddress Address(string address) => new(address);
}
