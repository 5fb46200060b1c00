using System.Net.Mail;
using System.Net.Mime;
using System.Text;
using CsCheck;
using ModernMail.Delivery;
using ModernMail.Delivery.Internal;
using ModernMail.Dkim;
using ModernMail.Mime;
using Xunit;

namespace ModernMail.Tests.Delivery;

public class MailBrokerTests
{
    private static MailMessage SeedSample()
    {
        var msg = new MailMessage(new MailAddress("sender@sender.test", "Sender"), new MailAddress("a1@a.test", "A One"))
        {
            Subject = "Quarterly report",
            Body = "<p>Hello <b>world</b></p>",
            IsBodyHtml = true,
        };
        msg.CC.Add("b1@b.test");
        msg.Bcc.Add("A1@A.TEST"); // same as To, different case: one result
        msg.Bcc.Add("hidden@a.test");
        msg.AlternateViews.Add(AlternateView.CreateAlternateViewFromString("Hello world", Encoding.UTF8, MediaTypeNames.Text.Plain));
        msg.Attachments.Add(new Attachment(new MemoryStream([1, 2, 3, 0, 255]), "data.bin", MediaTypeNames.Application.Octet));
        return msg;
    }

    [Fact(Timeout = 30000)]
    public async Task Send_SeedSample_OneResultPerDistinctRecipientAndOneConnectionReused()
    {
        const string Tx2 = "C: MAIL FROM:<sender@sender.test>\nC: RCPT TO:<a1@a.test>\nC: RCPT TO:<hidden@a.test>\nC: DATA\nS: 250 Ok\nS: 250 Ok\nS: 250 Ok\nS: 354 go\nBODY\nS: 250 queued\n";
        const string Tx1 = "C: MAIL FROM:<sender@sender.test>\nC: RCPT TO:<b1@b.test>\nC: DATA\nS: 250 Ok\nS: 250 Ok\nS: 354 go\nBODY\nS: 250 queued\n";
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING", "8BITMIME") + Tx2 + "C: RSET\nS: 250 Ok\n" + Tx1);
        var config = new BrokerConfig { HostName = "client.test", MaxParallelDomains = 1 };
        config.Routes["*"] = $"127.0.0.1:{server.Port}";
        using var msg = SeedSample();

        IReadOnlyList<DeliveryResult> result;
        using (var broker = new MailBroker(config))
        {
            result = broker.Send(msg);
        }

        Assert.Equal(3, result.Count(r => r.Delivered));
        Assert.Equal(["a1@a.test", "b1@b.test", "hidden@a.test"], result.Select(r => r.Recipient.Address));
        await server.DisposeAsync();
        Assert.Empty(server.Errors);
        Assert.Equal(1, server.ConnectionCount);
        Assert.Equal(2, server.Bodies.Count);
        Assert.All(server.Bodies, body =>
        {
            Assert.Contains("Subject: Quarterly report\r\n", body);
            Assert.DoesNotContain("hidden@a.test", body);
            Assert.DoesNotContain("\r\nBcc:", body, StringComparison.OrdinalIgnoreCase);
        });
        Assert.Equal("QUIT", server.Commands[^1]);
    }

    [Fact]
    public async Task RenderAsync_WithDkim_PrependsSignatureThatVerifies()
    {
        var key = DkimKeyPair.GenerateRsa(2048);
        var config = new BrokerConfig { HostName = "client.test", DkimConfig = key.ToConfig("sender.test", "sel") };
        var ed = DkimKeyPair.GenerateEd25519();
        config.DkimSignatures.Add(ed.ToConfig("sender.test", "ed"));
        using var broker = new MailBroker(config);
        using var msg = SeedSample();
        using var output = new MemoryStream();

        await broker.RenderAsync(msg, output, TestContext.Current.CancellationToken);

        string text = Encoding.ASCII.GetString(output.ToArray());
        Assert.StartsWith("DKIM-Signature:", text);
        var verifier = new DkimVerifier(new FixedDkimKeyResolver(key.CreateDnsRecord("sender.test", "sel"), ed.CreateDnsRecord("sender.test", "ed")));
        var results = await verifier.VerifyAsync(output.ToArray(), TestContext.Current.CancellationToken);
        Assert.Equal(2, results.Count);
        Assert.All(results, r => Assert.Equal(DkimSignatureStatus.Pass, r.Status));
        var parsed = MimeKit.MimeMessage.Load(new MemoryStream(output.ToArray()), TestContext.Current.CancellationToken);
        Assert.Equal("Quarterly report", parsed.Subject);
        Assert.Empty(parsed.Bcc);
    }

    [Theory(Timeout = 30000)]
    [InlineData("no final line break")]
    [InlineData("first\n.starts with a dot\nlast, no break")]
    [InlineData("ends with a bare CR\r")]
    [InlineData("café, quoted-printable, no break")]
    public async Task RenderedBytes_AreTheSignedAndDeliveredBytes(string body)
    {
        // Ed25519 signatures are deterministic and the clock is fixed, so two compositions give the same bytes.
        var ed = DkimKeyPair.GenerateEd25519();
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2026, 5, 1, 9, 0, 0, TimeSpan.Zero));
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("8BITMIME")
            + "C: MAIL FROM:<sender@sender.test>\nS: 250 Ok\nC: RCPT TO:<a1@a.test>\nS: 250 Ok\nC: DATA\nS: 354 go\nBODY\nS: 250 queued\n");
        var config = new BrokerConfig { HostName = "client.test", TimeProvider = clock, DkimConfig = ed.ToConfig("sender.test", "ed") };
        config.Routes["*"] = $"127.0.0.1:{server.Port}";
        using var msg = new MailMessage("sender@sender.test", "a1@a.test", "Bytes", body);
        msg.Headers.Add("Message-ID", "<fixed@sender.test>");
        using var rendered = new MemoryStream();
        IReadOnlyList<DeliveryResult> results;
        await using (var broker = new MailBroker(config))
        {
            await broker.RenderAsync(msg, rendered, TestContext.Current.CancellationToken);
            results = await broker.SendAsync(msg, TestContext.Current.CancellationToken);
        }

        await server.DisposeAsync();
        Assert.Empty(server.Errors);
        Assert.True(Assert.Single(results).Delivered);
        string renderedText = Encoding.UTF8.GetString(rendered.ToArray());
        Assert.EndsWith("\r\n", renderedText, StringComparison.Ordinal);
        // What the server received, un-dot-stuffed (RFC 5321 §4.5.2), is exactly what was rendered and signed.
        string delivered = string.Concat(Assert.Single(server.Bodies).Split("\r\n").SkipLast(1).Select(l => (l.StartsWith('.') ? l[1..] : l) + "\r\n"));
        Assert.Equal(renderedText, delivered);
        var verifier = new DkimVerifier(new FixedDkimKeyResolver(ed.CreateDnsRecord("sender.test", "ed")));
        Assert.Equal(DkimSignatureStatus.Pass, Assert.Single(await verifier.VerifyAsync(rendered.ToArray(), TestContext.Current.CancellationToken)).Status);
    }

    [Fact]
    public async Task RenderAsync_LargeAttachment_SpoolsToFileAndKeepsBytes()
    {
        byte[] payload = new byte[3 * 1024 * 1024];
        new Random(7).NextBytes(payload);
        using var broker = new MailBroker(new BrokerConfig { HostName = "client.test" });
        using var msg = new MailMessage("sender@sender.test", "a@a.test", "big", "see attachment");
        msg.Attachments.Add(new Attachment(new MemoryStream(payload), "big.bin", MediaTypeNames.Application.Octet));
        using var output = new MemoryStream();

        await broker.RenderAsync(msg, output, TestContext.Current.CancellationToken);

        output.Position = 0;
        var parsed = MimeKit.MimeMessage.Load(output, TestContext.Current.CancellationToken);
        var attachment = Assert.Single(parsed.Attachments.OfType<MimeKit.MimePart>());
        using var decoded = new MemoryStream();
        attachment.Content!.DecodeTo(decoded, TestContext.Current.CancellationToken);
        Assert.Equal(payload, decoded.ToArray());
    }

    [Fact]
    public void SpoolStream_OverThreshold_MovesToTempFileAndReadsBack()
    {
        byte[] data = new byte[5000];
        new Random(1).NextBytes(data);
        using var spool = new SpoolStream(threshold: 1024);

        spool.Write(data.AsSpan(0, 1000));
        Assert.False(spool.IsFileBacked);
        spool.Write(data.AsSpan(1000));
        Assert.True(spool.IsFileBacked);

        spool.Position = 0;
        byte[] back = new byte[data.Length];
        spool.ReadExactly(back);
        Assert.Equal(data, back);
    }

    [Fact]
    public void PrefixedStream_ReadsPrefixThenRest_AndSeeks()
    {
        using var rest = new MemoryStream("world"u8.ToArray());
        using var stream = new PrefixedStream("hello "u8.ToArray(), rest);

        Assert.Equal(11, stream.Length);
        Assert.Equal("hello world", new StreamReader(stream).ReadToEnd());
        stream.Position = 4;
        Assert.Equal("o world", new StreamReader(stream).ReadToEnd());
    }

    [Fact]
    public void Send_InvalidInput_Throws()
    {
        var broker = new MailBroker(new BrokerConfig { HostName = "client.test" });
        Assert.Throws<ArgumentNullException>(() => broker.Send(null!));
        using var noRecipients = new MailMessage { From = new MailAddress("a@sender.test") };
        Assert.Throws<ArgumentException>(() => broker.Send(noRecipients));
        using var noFrom = new MailMessage();
        noFrom.To.Add("x@a.test");
        Assert.Throws<MailMessageFormatException>(() => broker.Send(noFrom));
        broker.Dispose();
        using var ok = new MailMessage("a@sender.test", "x@a.test");
        Assert.Throws<ObjectDisposedException>(() => broker.Send(ok));
    }

    [Fact]
    public void Constructor_HostNameWithCrLf_Throws()
    {
        Assert.ThrowsAny<ArgumentException>(() => new MailBroker(new BrokerConfig { HostName = "evil\r\nRCPT TO:<x@y>" }));
    }

    [Fact]
    public void PooledBufferStream_WritesSeeksAndReads_LikeMemoryStream()
    {
        Gen.Int[0, 200_000].Array[1, 6].Sample(sizes =>
        {
            using var pooled = new PooledBufferStream();
            using var reference = new MemoryStream();
            var random = new Random(sizes.Length);
            foreach (int size in sizes)
            {
                byte[] data = new byte[size % 150_000];
                random.NextBytes(data);
                long at = reference.Length == 0 ? 0 : random.NextInt64(reference.Length);
                pooled.Position = reference.Position = at;
                pooled.Write(data);
                reference.Write(data);
            }
            pooled.Position = reference.Position = 0;
            byte[] a = new byte[reference.Length];
            pooled.ReadExactly(a);
            return pooled.Length == reference.Length && a.AsSpan().SequenceEqual(reference.ToArray()) && pooled.Read(new byte[1]) == 0;
        }, iter: 50);
    }
}
