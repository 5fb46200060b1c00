using System.Net.Mail;
using System.Text;
using Microsoft.Extensions.Logging;
using ModernMail.Delivery;
using ModernMail.Delivery.Internal;
using Xunit;

namespace ModernMail.Tests.Delivery;

/// <summary>What the transport derives from the message bytes (8BITMIME, SMTPUTF8) and what it logs.</summary>
public class SmtpTransportMessageTests
{
    private static BrokerConfig Config(ScriptedSmtpServer server, ILoggerFactory? logger = null)
    {
        var config = new BrokerConfig { HostName = "client.test", LoggerFactory = logger };
        config.Routes["*"] = $"127.0.0.1:{server.Port}";
        config.Timeouts.Command = config.Timeouts.MailFrom = config.Timeouts.RcptTo = TimeSpan.FromSeconds(10);
        config.Timeouts.DataInitiation = config.Timeouts.DataTermination = config.Timeouts.Greeting = TimeSpan.FromSeconds(10);
        return config;
    }

    private static async Task<IReadOnlyList<DeliveryResult>> DeliverAsync(SmtpTransport transport, string message, params string[] recipients)
    {
        var envelope = new Envelope(new MailAddress("sender@sender.test"), recipients.Select(r => new MailAddress(r)).ToList());
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(message));
        return await transport.DeliverAsync(envelope, stream, TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("Subject: plain\r\n\r\nbody\r\n", false, false)]
    [InlineData("Subject: plain\r\n\r\nbödy\r\n", true, false)]
    [InlineData("Subject: ünïcode\r\n\r\nbody\r\n", true, true)]
    [InlineData("Subject: plain\n\nbödy\n", true, false)]
    public async Task MessageSource_Detects8BitBodyAndHeaders(string message, bool has8Bit, bool headers8Bit)
    {
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(message));

        using var source = await MessageSource.CreateAsync(stream, TestContext.Current.CancellationToken);

        Assert.Equal(has8Bit, source.Has8Bit);
        Assert.Equal(headers8Bit, source.HeadersHave8Bit);
        Assert.Equal(stream.Length, source.Length);
        Assert.Equal(0, stream.Position);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_8BitBody_AsksForBody8BitMime()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING", "8BITMIME") + """
            C: MAIL FROM:<sender@sender.test> BODY=8BITMIME
            C: RCPT TO:
            C: DATA
            S: 250 Ok
            S: 250 Ok
            S: 354 go
            BODY
            S: 250 queued
            """);
        var transport = new SmtpTransport(Config(server));

        var result = Assert.Single(await DeliverAsync(transport, "Subject: x\r\n\r\nçà\r\n", "x@a.test"));

        Assert.True(result.Delivered, result.Detail);
        await transport.DisposeAsync();
        await server.DisposeAsync();
        Assert.Empty(server.Errors);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_Utf8HeadersToServerWithoutSmtpUtf8_PermanentWithoutMail()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING", "8BITMIME"));
        var transport = new SmtpTransport(Config(server));

        var result = Assert.Single(await DeliverAsync(transport, "From: josé@sender.test\r\n\r\nbody\r\n", "x@a.test"));

        Assert.False(result.Delivered);
        Assert.False(result.IsTransient);
        Assert.Contains("SMTPUTF8", result.Detail);
        await transport.DisposeAsync();
        await server.DisposeAsync();
        Assert.Empty(server.Errors);
        Assert.DoesNotContain(server.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_Logs_OneInformationLinePerRecipient_TranscriptAtDebugWithoutBody()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING") + """
            C: MAIL FROM:
            C: RCPT TO:<ok@a.test>
            C: RCPT TO:<bad@a.test>
            C: DATA
            S: 250 Ok
            S: 250 Ok
            S: 550 5.1.1 unknown
            S: 354 go
            BODY
            S: 250 queued
            """);
        var logs = new ListLoggerFactory();
        var transport = new SmtpTransport(Config(server, logs));

        await DeliverAsync(transport, "Subject: x\r\n\r\nsecret body text\r\n", "ok@a.test", "bad@a.test");
        await transport.DisposeAsync();
        await server.DisposeAsync();

        var info = logs.Lines.Where(l => l.Level == LogLevel.Information).ToList();
        Assert.Equal(2, info.Count);
        Assert.Contains(info, l => l.Message.StartsWith("ok@a.test: delivered", StringComparison.Ordinal));
        Assert.Contains(info, l => l.Message.StartsWith("bad@a.test: not delivered (permanent)", StringComparison.Ordinal));
        var debug = logs.Lines.Where(l => l.Level == LogLevel.Debug).Select(l => l.Message).ToList();
        Assert.Contains(debug, l => l.Contains("C: MAIL FROM:<sender@sender.test>", StringComparison.Ordinal));
        Assert.Contains(debug, l => l.Contains("S: 550 5.1.1 unknown", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Message.Contains("secret body text", StringComparison.Ordinal));
    }
}
