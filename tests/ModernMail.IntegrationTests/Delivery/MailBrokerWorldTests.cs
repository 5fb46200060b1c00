using System.Net.Mail;
using System.Net.Mime;
using System.Text;
using MimeKit;
using ModernMail.Delivery;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Delivery;

/// <summary>MailBroker against the real world: DNS (dnsmasq on 5300) for MX/A, Postfix on 25 with STARTTLS, OpenDKIM verifying.</summary>
public class MailBrokerWorldTests
{
    private static readonly TimeSpan s_wait = TimeSpan.FromSeconds(30);

    public MailBrokerWorldTests() => TestWorld.EnsureUp();

    private static BrokerConfig Config(bool sign = false)
    {
        var config = new BrokerConfig { HostName = "sender.test", SmtpPort = 25 };
        config.DnsServers.Add(TestWorld.DnsServer.ToString());
        if (sign)
        {
            config.DkimConfig = DkimConfig.FromPem(TestWorld.SenderDomain, TestWorld.RsaSelector, File.ReadAllText(TestWorld.RsaKeyPath));
        }
        return config;
    }

    private static async Task<IReadOnlyList<DeliveryResult>> SendAsync(BrokerConfig config, MailMessage message)
    {
        await using var broker = new MailBroker(config);
        return await broker.SendAsync(message, TestContext.Current.CancellationToken);
    }

    /// <summary>Waits for the message, then checks no second copy follows.</summary>
    private static async Task<IReadOnlyList<string>> ExactlyOneAsync(string address)
    {
        await TestWorld.WaitForMessagesAsync(address, 1, s_wait, TestContext.Current.CancellationToken);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        return TestWorld.GetMessages(address);
    }

    private static MailMessage Simple(params string[] to)
    {
        var msg = new MailMessage { From = new MailAddress("sender@sender.test"), Subject = "routing test", Body = "hello" };
        foreach (string address in to)
        {
            msg.To.Add(address);
        }
        return msg;
    }

    [Fact]
    public async Task SeedSample_TwoDomainsAndBcc_OneSignedTlsCopyPerRecipient()
    {
        string to = TestWorld.Unique("to", "a.test");
        string cc = TestWorld.Unique("cc", "b.test");
        string bcc = TestWorld.Unique("bcc", "a.test");
        byte[] attachmentBytes = new byte[150_000];
        new Random(5).NextBytes(attachmentBytes);
        using var msg = new MailMessage(new MailAddress("sender@sender.test", "Sénder Test"), new MailAddress(to, "To Person"))
        {
            Subject = "Seed sample: ünïcode subject",
            Body = "<p>Hello <b>world</b> — ça va?</p>",
            IsBodyHtml = true,
        };
        msg.CC.Add(cc);
        msg.Bcc.Add(bcc);
        msg.Bcc.Add(to.ToUpperInvariant());
        msg.AlternateViews.Add(AlternateView.CreateAlternateViewFromString("Hello world — ça va?", Encoding.UTF8, MediaTypeNames.Text.Plain));
        msg.Attachments.Add(new Attachment(new MemoryStream(attachmentBytes), "report.bin", MediaTypeNames.Application.Octet));

        IReadOnlyList<DeliveryResult> result;
        var config = Config(sign: true);
        using (var broker = new MailBroker(config))
        {
            result = broker.Send(msg);
            Console.WriteLine($"Delivered Messages: {result.Count(r => r.Delivered)}");
        }

        Assert.Equal([to, cc, bcc], result.Select(r => r.Recipient.Address));
        Assert.All(result, r =>
        {
            Assert.True(r.Delivered, r.Detail);
            Assert.True(r.UsedTls);
            Assert.Equal("mx.a.test", r.MxHost);
            Assert.Equal(250, r.Reply?.Code);
        });
        foreach (string address in new[] { to, cc, bcc })
        {
            string file = Assert.Single(await ExactlyOneAsync(address));
            var delivered = await MimeMessage.LoadAsync(file, TestContext.Current.CancellationToken);
            Assert.Equal("Seed sample: ünïcode subject", delivered.Subject);
            Assert.Equal("Sénder Test", delivered.From.Mailboxes.Single().Name);
            Assert.Equal(to, delivered.To.Mailboxes.Single().Address);
            Assert.Equal(cc, delivered.Cc.Mailboxes.Single().Address);
            Assert.Empty(delivered.Bcc);
            // Only Postfix's own trace fields (Delivered-To, Received for) may name the Bcc recipient.
            var ours = delivered.Headers.Where(h => h.Id is not (HeaderId.Received or HeaderId.ReturnPath) && h.Field != "Delivered-To");
            Assert.DoesNotContain(ours, h => h.Value.Contains(bcc, StringComparison.OrdinalIgnoreCase));
            Assert.Equal("Hello world — ça va?", delivered.TextBody?.TrimEnd());
            Assert.Contains("<b>world</b> — ça va?", delivered.HtmlBody);
            var part = delivered.Attachments.OfType<MimePart>().Single();
            Assert.Equal("report.bin", part.FileName);
            using var decoded = new MemoryStream();
            await part.Content!.DecodeToAsync(decoded, TestContext.Current.CancellationToken);
            Assert.Equal(attachmentBytes, decoded.ToArray());
            string received = delivered.Headers[HeaderId.Received] ?? "";
            Assert.Contains("using TLS", received);
            string auth = string.Join("\n", delivered.Headers.Where(h => h.Id == HeaderId.AuthenticationResults).Select(h => h.Value));
            Assert.Contains("dkim=pass", auth);
            Assert.Contains("header.d=sender.test", auth);
        }
    }

    [Fact]
    public async Task RejectAndDefer_InSameDomain_DoNotStopTheOtherRecipient()
    {
        string ok = TestWorld.Unique("ok", "a.test");
        string reject = TestWorld.Unique("reject", "a.test");
        string defer = TestWorld.Unique("defer", "a.test");
        using var msg = Simple(reject, ok, defer);

        var results = await SendAsync(Config(), msg);

        Assert.False(results[0].Delivered);
        Assert.False(results[0].IsTransient);
        Assert.Equal(550, results[0].Reply?.Code);
        // The real Postfix's 550 5.1.1 is a hard bounce of a bad address (the class that feeds suppression lists).
        Assert.Equal((SmtpStage.RcptTo, BounceCategory.InvalidRecipient), (results[0].Stage, results[0].Category));
        Assert.True(results[1].Delivered, results[1].Detail);
        Assert.False(results[2].Delivered);
        Assert.True(results[2].IsTransient);
        Assert.Equal(450, results[2].Reply?.Code);
        Assert.Equal(SmtpStage.RcptTo, results[2].Stage);
        Assert.Equal(SmtpStage.FinalDot, results[1].Stage);
        Assert.Single(await ExactlyOneAsync(ok));
        Assert.Empty(TestWorld.GetMessages(reject));
        Assert.Empty(TestWorld.GetMessages(defer));
    }

    [Fact]
    public async Task NullMx_IsPermanentWithoutConnecting()
    {
        using var msg = Simple("someone@nullmx.test");

        var result = Assert.Single(await SendAsync(Config(), msg));

        Assert.False(result.Delivered);
        Assert.False(result.IsTransient);
        Assert.Null(result.MxHost);
        Assert.Null(result.Reply);
        Assert.Contains("null MX", result.Detail);
        Assert.Equal((SmtpStage.Dns, BounceCategory.BadDomain), (result.Stage, result.Category));
    }

    [Fact]
    public async Task NoSuchDomain_IsPermanent()
    {
        using var msg = Simple("someone@nosuch.test");

        var result = Assert.Single(await SendAsync(Config(), msg));

        Assert.False(result.Delivered);
        Assert.False(result.IsTransient);
        Assert.Contains("NXDOMAIN", result.Detail);
        Assert.Equal((SmtpStage.Dns, BounceCategory.BadDomain), (result.Stage, result.Category));
    }

    [Fact]
    public async Task ImplicitMx_IsDelivered()
    {
        string address = TestWorld.Unique("imp", "implicit.test");
        using var msg = Simple(address);

        var result = Assert.Single(await SendAsync(Config(), msg));

        Assert.True(result.Delivered, result.Detail);
        Assert.Equal("implicit.test", result.MxHost);
        Assert.Single(await ExactlyOneAsync(address));
    }

    [Fact]
    public async Task DeadFirstMx_IsDeliveredViaSecond()
    {
        string address = TestWorld.Unique("df", "deadfirst.test");
        using var msg = Simple(address);
        var config = Config();
        config.Timeouts.Connect = TimeSpan.FromSeconds(5);

        var result = Assert.Single(await SendAsync(config, msg));

        Assert.True(result.Delivered, result.Detail);
        Assert.Equal("mx.a.test", result.MxHost);
        Assert.Single(await ExactlyOneAsync(address));
    }

    [Fact]
    public async Task ManyMessages_ConcurrentAndSequential_AllDeliveredOverPooledConnections()
    {
        string[] addresses = Enumerable.Range(0, 6).Select(i => TestWorld.Unique("pool" + i, i % 2 == 0 ? TestWorld.DomainA : TestWorld.DomainB)).ToArray();
        await using var broker = new MailBroker(Config(sign: true));

        var first = await Task.WhenAll(addresses.Take(3).Select(a => broker.SendAsync(Simple(a), TestContext.Current.CancellationToken)));
        var rest = new List<IReadOnlyList<DeliveryResult>>();
        foreach (string address in addresses.Skip(3))
        {
            rest.Add(await broker.SendAsync(Simple(address), TestContext.Current.CancellationToken));
        }

        Assert.All(first.Concat(rest).SelectMany(r => r), r => Assert.True(r.Delivered, r.Detail));
        foreach (string address in addresses)
        {
            Assert.Single(await ExactlyOneAsync(address));
        }
    }

    [Fact]
    public async Task RequiredTls_PostfixSelfSignedCertificate_DeliveredOverTlsAndRecordedInvalid()
    {
        string address = TestWorld.Unique("tls");
        using var msg = Simple(address);
        var config = Config();
        config.Tls = TlsPolicy.Required;

        var result = Assert.Single(await SendAsync(config, msg));

        Assert.True(result.Delivered, result.Detail);
        Assert.True(result.UsedTls);
        Assert.False(result.CertificateValid);
        Assert.StartsWith("Tls1", result.TlsProtocol);
        Assert.False(string.IsNullOrEmpty(result.TlsCipher));
        Assert.Single(await ExactlyOneAsync(address));
    }

    [Fact]
    public async Task DisabledTls_DeliversInClearText()
    {
        string address = TestWorld.Unique("clear");
        using var msg = Simple(address);
        var config = Config();
        config.Tls = TlsPolicy.Disabled;

        var result = Assert.Single(await SendAsync(config, msg));

        Assert.True(result.Delivered, result.Detail);
        Assert.False(result.UsedTls);
        string file = Assert.Single(await ExactlyOneAsync(address));
        string received = (await MimeMessage.LoadAsync(file, TestContext.Current.CancellationToken)).Headers[HeaderId.Received] ?? "";
        Assert.DoesNotContain("using TLS", received);
        Assert.Contains("with ESMTP ", received);
    }
}
