using System.Collections.Concurrent;
using System.Net.Mail;
using ModernMail.Delivery;
using ModernMail.Queue;
using ModernMail.Tests.Queue;
using Xunit;

namespace ModernMail.Tests.Delivery;

/// <summary>The same scripted server replies through <see cref="MailBroker"/> and through <see cref="MailQueue"/> +
/// <see cref="QueueWorker"/> over <see cref="SmtpTransport"/>: one classifier decides both, so they cannot disagree.</summary>
public sealed class DeliveryParityTests
{
    private const string Envelope = "C: MAIL FROM:<sender@sender.test>\nS: 250 ok\nC: RCPT TO:<x@a.test>\n";
    private const string Accepted = Envelope + "S: 250 ok\nC: DATA\nS: 354 go\nBODY\n";

    public static TheoryData<string, string, SmtpStage, bool, BounceCategory, RecipientState> Cases() => new()
    {
        // RFC 5321 §4.5.3.1.10: 552 to RCPT is "too many recipients", temporary; after the data it is "too big", permanent.
        { "552 after RCPT", Envelope + "S: 552 5.5.3 Too many recipients\nC: RSET\nS: 250 ok\n", SmtpStage.RcptTo, true, BounceCategory.RateLimited, RecipientState.Deferred },
        { "552 after the data", Accepted + "S: 552 5.3.4 Message size exceeds fixed limit\n", SmtpStage.FinalDot, false, BounceCategory.MessageTooBig, RecipientState.Bounced },
        // Before one classifier, the queue guessed from the enhanced code alone and retried these for days.
        { "552 after the data, no enhanced code", Accepted + "S: 552 Message size exceeds maximum permitted\n", SmtpStage.FinalDot, false, BounceCategory.MessageTooBig, RecipientState.Bounced },
        { "552 5.2.2 after the data", Accepted + "S: 552 5.2.2 mailbox full\n", SmtpStage.FinalDot, false, BounceCategory.MailboxFull, RecipientState.Bounced },
        { "552 to DATA", Envelope + "S: 250 ok\nC: DATA\nS: 552 5.3.4 Message too big for system\nC: RSET\nS: 250 ok\n", SmtpStage.Data, false, BounceCategory.MessageTooBig, RecipientState.Bounced },
        // 421 mid-session: the server closes; every stage is temporary.
        { "421 to MAIL", "C: MAIL FROM:<sender@sender.test>\nS: 421 4.3.2 Service shutting down\nCLOSE\n", SmtpStage.MailFrom, true, BounceCategory.ConnectionFailed, RecipientState.Deferred },
        { "421 to RCPT", Envelope + "S: 421 4.7.0 [TSS04] Messages from 192.0.2.1 temporarily deferred due to unexpected volume or user complaints\nCLOSE\n", SmtpStage.RcptTo, true, BounceCategory.RateLimited, RecipientState.Deferred },
        { "421 after the data", Accepted + "S: 421 4.4.2 mx.example.com Error: timeout exceeded\nCLOSE\n", SmtpStage.FinalDot, true, BounceCategory.ConnectionFailed, RecipientState.Deferred },
        { "550 5.1.1 to RCPT", Envelope + "S: 550 5.1.1 <x@a.test>: Recipient address rejected: User unknown in local recipient table\nC: RSET\nS: 250 ok\n", SmtpStage.RcptTo, false, BounceCategory.InvalidRecipient, RecipientState.Bounced },
        { "dropped mid-data", Envelope + "S: 250 ok\nC: DATA\nS: 354 go\nCLOSE\n", SmtpStage.FinalDot, true, BounceCategory.ConnectionFailed, RecipientState.Deferred },
        { "250 after the data", Accepted + "S: 250 2.0.0 queued\n", SmtpStage.FinalDot, false, BounceCategory.None, RecipientState.Delivered },
    };

    [Theory(Timeout = 60000)]
    [MemberData(nameof(Cases))]
    public async Task SameReplies_MailBrokerAndQueue_SameDecision(string name, string script, SmtpStage stage, bool transient, BounceCategory category, RecipientState queueState)
    {
        string connection = ScriptedSmtpServer.Hello() + script;
        var server = new ScriptedSmtpServer().Then(connection).Then(connection);

        // MailBroker: one attempt, the result is the answer.
        DeliveryResult direct;
        await using (var broker = new MailBroker(Config(server)))
        {
            using var message = new MailMessage("sender@sender.test", "x@a.test", "Parity", "Hello");
            direct = Assert.Single(await broker.SendAsync(message, TestContext.Current.CancellationToken));
        }

        // The queue: the same transport engine under a worker, which acts on the same result.
        var events = new ConcurrentQueue<QueueEventArgs>();
        await using (var bed = new QueueTestBed(o => o.SendBounces = false))
        {
            await using var transport = new SmtpTransport(Config(server));
            await using var worker = new QueueWorker(bed.Queue, transport);
            worker.RecipientUpdated += (_, e) => events.Enqueue(e);
            string id = await bed.EnqueueAsync("sender@sender.test", "x@a.test");

            Assert.Equal(1, await worker.RunDueAsync(TestContext.Current.CancellationToken));

            var status = await bed.Queue.GetAsync(id, TestContext.Current.CancellationToken);
            Assert.Equal(queueState, Assert.Single(status!.Recipients).State);
        }
        await server.DisposeAsync();

        Assert.Empty(server.Errors);
        Assert.Equal(2, server.ConnectionCount);
        Assert.Equal(stage, direct.Stage);
        Assert.Equal(queueState == RecipientState.Delivered, direct.Delivered);
        Assert.True(transient == direct.IsTransient, $"{name}: {direct.Detail}");
        Assert.Equal(category, direct.Category);
        var queued = Assert.Single(events);
        Assert.Equal(category, queued.Category);
        // The queue's state follows the broker's result: retry exactly what the broker calls transient.
        Assert.Equal(direct.Delivered ? RecipientState.Delivered : direct.IsTransient ? RecipientState.Deferred : RecipientState.Bounced, queued.State);
    }

    private static BrokerConfig Config(ScriptedSmtpServer server)
    {
        var config = new BrokerConfig { HostName = "client.test", MaxIdleConnectionsPerHost = 0 };
        config.Routes["*"] = $"127.0.0.1:{server.Port}";
        config.Timeouts = new ModernMail.Smtp.SmtpTimeouts
        {
            Connect = TimeSpan.FromSeconds(10),
            Greeting = TimeSpan.FromSeconds(10),
            Command = TimeSpan.FromSeconds(10),
            MailFrom = TimeSpan.FromSeconds(10),
            RcptTo = TimeSpan.FromSeconds(10),
            DataInitiation = TimeSpan.FromSeconds(10),
            DataBlock = TimeSpan.FromSeconds(10),
            DataTermination = TimeSpan.FromSeconds(10),
        };
        return config;
    }
}
