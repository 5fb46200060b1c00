using System.Net.Mail;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using ModernMail.Delivery;
using ModernMail.IntegrationTests.World;
using ModernMail.Queue;
using Xunit;

namespace ModernMail.IntegrationTests.Queue;

/// <summary>The queue delivering through the real SmtpTransport: to a scripted greylisting server, and to the test world's Postfix.</summary>
public sealed class QueueDeliveryTests : IAsyncLifetime
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-qint-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }

    private static SmtpTransport WorldTransport()
    {
        var config = new BrokerConfig { HostName = "mx.sender.test" };
        config.DnsServers.Add($"{TestWorld.DnsServer.Address}:{TestWorld.DnsServer.Port}");
        return new SmtpTransport(config);
    }

    [Fact]
    public async Task Greylisted_450ThenAccepted_DeliveredOnRetryAfterBackoff()
    {
        await using var sink = new SmtpSink((rcpt, n) => n == 1 ? "450 4.7.1 Greylisted, come back in 5 minutes" : "250 2.1.5 Ok");
        var config = new BrokerConfig { HostName = "mx.sender.test", Tls = TlsPolicy.Disabled };
        config.Routes["*"] = "127.0.0.1:" + sink.Port;
        await using var transport = new SmtpTransport(config);
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
        await using var queue = new MailQueue(new QueueOptions { Store = "sqlite:" + _directory, TimeProvider = clock, Random = new Random(1) });
        await using var worker = new QueueWorker(queue, transport);
        var raw = Encoding.ASCII.GetBytes("From: sender@sender.test\r\nTo: grey@greylist.test\r\nSubject: greylisted\r\nMessage-ID: <grey-1@sender.test>\r\n\r\nhello\r\n");
        string id = await queue.EnqueueAsync(new Envelope(new MailAddress("sender@sender.test"), [new MailAddress("grey@greylist.test")]), new MemoryStream(raw), Ct);

        await worker.RunDueAsync(Ct);

        var deferred = (await queue.GetAsync(id, Ct))!.Recipients[0];
        Assert.Equal(RecipientState.Deferred, deferred.State);
        Assert.Contains("450 4.7.1 Greylisted", deferred.LastReply);
        Assert.Empty(sink.Messages);
        var wait = deferred.NextAttemptAt!.Value - clock.GetUtcNow();
        Assert.InRange(wait.TotalSeconds, 300, 330);

        clock.Advance(TimeSpan.FromSeconds(200));
        Assert.Equal(0, await worker.RunDueAsync(Ct)); // greylisters refuse early retries; we do not make them
        clock.Advance(wait - TimeSpan.FromSeconds(200));
        Assert.Equal(1, await worker.RunDueAsync(Ct));

        var delivered = (await queue.GetAsync(id, Ct))!.Recipients[0];
        Assert.Equal(RecipientState.Delivered, delivered.State);
        Assert.Equal(2, delivered.Attempts);
        var message = Assert.Single(sink.Messages);
        Assert.Equal(["grey@greylist.test"], message.Recipients);
        Assert.Equal("<grey-1@sender.test>", message.Header("Message-ID"));
        Assert.Equal(2, sink.RcptAttempts("grey@greylist.test"));
    }

    [Fact]
    public async Task PermanentFailureAtPostfix_Bounces_AndDsnArrivesInSendersMailbox()
    {
        TestWorld.EnsureUp();
        string sender = TestWorld.Unique("sender", TestWorld.SenderDomain);
        string good = TestWorld.Unique("ok");
        string rejected = TestWorld.Unique("reject");
        string subject = "queue bounce " + Guid.NewGuid().ToString("N")[..8];
        await using var transport = WorldTransport();
        var options = new QueueOptions { Store = "sqlite:" + _directory, HostName = "mx.sender.test" };
        options.DkimSignatures.Add(DkimConfig.FromPem(TestWorld.SenderDomain, TestWorld.RsaSelector, await File.ReadAllTextAsync(TestWorld.RsaKeyPath, Ct)));
        await using var queue = new MailQueue(options);
        await using var worker = new QueueWorker(queue, transport);
        using var mail = new MailMessage(sender, good) { Subject = subject, Body = "queued through ModernMail" };
        mail.To.Add(rejected);

        string id = await queue.EnqueueAsync(mail, Ct);
        await worker.RunDueAsync(Ct);

        var status = (await queue.GetAsync(id, Ct))!;
        Assert.Equal(RecipientState.Delivered, status.Recipients.Single(r => r.Address == good).State);
        var bounced = status.Recipients.Single(r => r.Address == rejected);
        Assert.Equal(RecipientState.Bounced, bounced.State);
        Assert.Contains("550 5.1.1", bounced.LastReply);

        var delivered = await TestWorld.WaitForMessagesAsync(good, 1, cancellationToken: Ct);
        string deliveredText = Encoding.UTF8.GetString(TestWorld.ReadMessage(delivered[0]));
        Assert.Contains("Subject: " + subject, deliveredText);
        Assert.Contains("dkim=pass", deliveredText); // signed once at enqueue, verified on arrival at the MX (dkimpy)

        var dsnFiles = await TestWorld.WaitForMessagesAsync(sender, 1, cancellationToken: Ct);
        var dsn = MimeMessage.Load(dsnFiles[0], Ct);
        Assert.Equal("<MAILER-DAEMON>", dsn.Headers["Return-Path"]); // the bounce went out with the null reverse path
        var report = Assert.IsType<MultipartReport>(dsn.Body);
        Assert.Equal("delivery-status", report.ReportType);
        var groups = report.OfType<MessageDeliveryStatus>().Single().StatusGroups;
        Assert.Equal("dns; mx.sender.test", groups[0]["Reporting-MTA"]);
        Assert.Equal("rfc822; " + rejected, groups[1]["Final-Recipient"]);
        Assert.Equal("failed", groups[1]["Action"]);
        Assert.Equal("5.1.1", groups[1]["Status"]);
        Assert.StartsWith("smtp; 550 5.1.1", groups[1]["Diagnostic-Code"]);
        Assert.Equal("InvalidRecipient", groups[1]["X-ModernMail-Category"]);
        Assert.Equal(subject, report.OfType<TextRfc822Headers>().Single().Message!.Subject);
        Assert.Equal(2, groups.Count); // only the rejected recipient is reported
    }

    [Fact]
    public async Task DeferredUntilLifetimeRunsOut_Expires_AndDsnArrivesInSendersMailbox()
    {
        TestWorld.EnsureUp();
        string sender = TestWorld.Unique("sender", TestWorld.SenderDomain);
        string deferred = TestWorld.Unique("defer");
        await using var transport = WorldTransport();
        var clock = new FakeTimeProvider(DateTimeOffset.UnixEpoch.AddYears(56));
        await using var queue = new MailQueue(new QueueOptions
        {
            Store = "sqlite:" + _directory,
            HostName = "mx.sender.test",
            TimeProvider = clock,
            Random = new Random(3),
            MessageLifetime = TimeSpan.FromHours(1),
        });
        await using var worker = new QueueWorker(queue, transport);
        var raw = Encoding.ASCII.GetBytes($"From: {sender}\r\nTo: {deferred}\r\nSubject: will expire\r\nMessage-ID: <expire-{Guid.NewGuid():N}@sender.test>\r\n\r\nhello\r\n");
        string id = await queue.EnqueueAsync(new Envelope(new MailAddress(sender), [new MailAddress(deferred)]), new MemoryStream(raw), Ct);

        int attempts = 0;
        while ((await queue.GetAsync(id, Ct))!.Recipients[0].State != RecipientState.Expired && attempts < 20)
        {
            attempts += await worker.RunDueAsync(Ct);
            if (await queue.Store.GetNextDueAsync(Ct) is { } due && due > clock.GetUtcNow())
            {
                clock.Advance(due - clock.GetUtcNow());
            }
        }

        var recipient = (await queue.GetAsync(id, Ct))!.Recipients[0];
        Assert.Equal(RecipientState.Expired, recipient.State);
        Assert.Contains("450 4.2.0", recipient.LastReply);
        Assert.InRange(recipient.Attempts, 4, 6); // ~0, 5, 15, 35 min and the deadline at 60 min
        var dsnFiles = await TestWorld.WaitForMessagesAsync(sender, 1, cancellationToken: Ct);
        var groups = Assert.IsType<MultipartReport>(MimeMessage.Load(dsnFiles[0], Ct).Body).OfType<MessageDeliveryStatus>().Single().StatusGroups;
        Assert.Equal("rfc822; " + deferred, groups[1]["Final-Recipient"]);
        Assert.Equal("4.4.7", groups[1]["Status"]);
        Assert.Contains("450 4.2.0", groups[1]["Diagnostic-Code"]);
    }
}
