using System.Net;
using System.Net.Mail;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Delivery;
using ModernMail.Smtp;
using ModernMail.Tests.Routing;
using Xunit;

namespace ModernMail.Tests.Delivery;

/// <summary>SmtpTransport against a scripted server producing the faults real servers won't: every test checks per-recipient outcomes and that nothing hangs.</summary>
public partial class SmtpTransportFaultTests
{
    private const string Message = "From: sender@sender.test\r\nTo: ok@a.test\r\nSubject: test\r\n\r\nHello\r\n.leading dot\r\n";

    private static readonly MailAddress s_sender = new("sender@sender.test");

    private static BrokerConfig Config(ScriptedSmtpServer server, TlsPolicy tls = TlsPolicy.Opportunistic)
    {
        var config = new BrokerConfig { HostName = "client.test", Tls = tls };
        config.Routes["*"] = $"127.0.0.1:{server.Port}";
        config.Timeouts = Short();
        return config;
    }

    private static SmtpTimeouts Short() => new()
    {
        Connect = TimeSpan.FromSeconds(5),
        Greeting = TimeSpan.FromSeconds(5),
        Command = TimeSpan.FromSeconds(5),
        MailFrom = TimeSpan.FromSeconds(5),
        RcptTo = TimeSpan.FromSeconds(5),
        DataInitiation = TimeSpan.FromSeconds(5),
        DataBlock = TimeSpan.FromSeconds(5),
        DataTermination = TimeSpan.FromSeconds(5),
    };

    private static async Task<IReadOnlyList<DeliveryResult>> DeliverAsync(SmtpTransport transport, params string[] recipients)
    {
        var envelope = new Envelope(s_sender, recipients.Select(r => new MailAddress(r)).ToList());
        using var message = new MemoryStream(Encoding.UTF8.GetBytes(Message));
        return await transport.DeliverAsync(envelope, message, TestContext.Current.CancellationToken);
    }

    private static async Task FinishAsync(SmtpTransport transport, ScriptedSmtpServer server)
    {
        await transport.DisposeAsync();
        await server.DisposeAsync();
        Assert.Empty(server.Errors);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_MixedRcptReplies_ResultPerRecipient()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING", "SIZE 1000000", "ENHANCEDSTATUSCODES") + """
            C: MAIL FROM:<sender@sender.test> SIZE=
            C: RCPT TO:<ok@a.test>
            C: RCPT TO:<bad@a.test>
            C: RCPT TO:<later@a.test>
            C: DATA
            S: 250 2.1.0 Ok
            S: 250 2.1.5 Ok
            S: 550 5.1.1 <bad@a.test>: Recipient address rejected: User unknown
            S: 451 4.3.0 <later@a.test>: Temporary lookup failure
            S: 354 End data with <CR><LF>.<CR><LF>
            BODY
            S: 250 2.0.0 Ok: queued as ABC
            """);
        var transport = new SmtpTransport(Config(server));

        var results = await DeliverAsync(transport, "ok@a.test", "bad@a.test", "later@a.test");

        Assert.Equal(["ok@a.test", "bad@a.test", "later@a.test"], results.Select(r => r.Recipient.Address));
        Assert.True(results[0].Delivered);
        Assert.Equal(250, results[0].Reply?.Code);
        Assert.False(results[1].Delivered);
        Assert.False(results[1].IsTransient);
        Assert.Equal(550, results[1].Reply?.Code);
        Assert.Equal(new EnhancedStatusCode(5, 1, 1), results[1].Reply?.Enhanced);
        Assert.False(results[2].Delivered);
        Assert.True(results[2].IsTransient);
        Assert.Equal(451, results[2].Reply?.Code);
        await FinishAsync(transport, server);
        // Dot-stuffed on the wire, and SIZE is the exact message length.
        Assert.Contains("\r\n..leading dot\r\n", Assert.Single(server.Bodies));
        Assert.Contains($"MAIL FROM:<sender@sender.test> SIZE={Encoding.UTF8.GetByteCount(Message)}", server.Commands);
        Assert.Equal("QUIT", server.Commands[^1]);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_Greylisted_IsTransientAndResetsInsteadOfSending()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING") + """
            C: MAIL FROM:<sender@sender.test>
            C: RCPT TO:<grey@a.test>
            C: DATA
            S: 250 Ok
            S: 450 4.2.0 <grey@a.test>: Recipient address rejected: Greylisted, try again later
            S: 554 5.5.1 Error: no valid recipients
            C: RSET
            S: 250 2.0.0 Ok
            """);
        var transport = new SmtpTransport(Config(server));

        var result = Assert.Single(await DeliverAsync(transport, "grey@a.test"));

        Assert.False(result.Delivered);
        Assert.True(result.IsTransient);
        Assert.Equal(450, result.Reply?.Code);
        await FinishAsync(transport, server);
        Assert.Empty(server.Bodies);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_MailFromRejected_AllPermanentAndReset()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING") + """
            C: MAIL FROM:
            C: RCPT TO:
            C: RCPT TO:
            C: DATA
            S: 550 5.7.1 Sender rejected
            S: 503 5.5.1 Error: need MAIL command
            S: 503 5.5.1 Error: need MAIL command
            S: 503 5.5.1 Error: need MAIL command
            C: RSET
            S: 250 Ok
            """);
        var transport = new SmtpTransport(Config(server));

        var results = await DeliverAsync(transport, "x@a.test", "y@a.test");

        Assert.All(results, r =>
        {
            Assert.False(r.Delivered);
            Assert.False(r.IsTransient);
            Assert.Equal(550, r.Reply?.Code);
        });
        await FinishAsync(transport, server);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_421AtGreetingAndDeadFirstMx_FallsThroughToNextMx()
    {
        var busy = new ScriptedSmtpServer(IPAddress.Loopback).Then("S: 421 4.3.2 busy, try later\nCLOSE");
        var good = new ScriptedSmtpServer(IPAddress.Parse("127.0.0.2"), busy.Port).Then(ScriptedSmtpServer.Hello("PIPELINING") + """
            C: MAIL FROM:
            C: RCPT TO:<x@failover.test>
            C: DATA
            S: 250 Ok
            S: 250 Ok
            S: 354 go
            BODY
            S: 250 queued
            """);
        var resolver = new FakeMxResolver()
            .WithMx("failover.test", ("mx3.failover.test", 30), ("dead.failover.test", 5), ("busy.failover.test", 10))
            .WithHost("dead.failover.test", "127.0.0.3")
            .WithHost("busy.failover.test", "127.0.0.1")
            .WithHost("mx3.failover.test", "127.0.0.2");
        var config = new BrokerConfig { HostName = "client.test", SmtpPort = busy.Port, Timeouts = Short() };
        var transport = new SmtpTransport(config, resolver);

        var result = Assert.Single(await DeliverAsync(transport, "x@failover.test"));

        Assert.True(result.Delivered, result.Detail);
        Assert.Equal("mx3.failover.test", result.MxHost);
        Assert.Equal(1, busy.ConnectionCount);
        await FinishAsync(transport, good);
        await busy.DisposeAsync();
        Assert.Empty(busy.Errors);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_421AtGreetingOnlyMx_IsTransientWithReason()
    {
        var server = new ScriptedSmtpServer().Then("S: 421 4.3.2 Service not available\nCLOSE");
        var transport = new SmtpTransport(Config(server));

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        Assert.False(result.Delivered);
        Assert.True(result.IsTransient);
        Assert.Contains("421", result.Detail);
        await FinishAsync(transport, server);
    }

    [Theory(Timeout = 30000)]
    [InlineData("S: this is not smtp", "malformed")]
    [InlineData("S: 250 Ok\nRAW: 250 \\r\\n", "")]
    public async Task Deliver_GarbageReplyToRcpt_IsTransientProtocolError(string reply, string reason)
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello() + """
            C!: MAIL FROM:<sender@sender.test>
            S: 250 Ok
            C!: RCPT TO:<x@a.test>

            """ + "\n" + (reason.Length > 0 ? reply : "S: " + new string('x', 5000)));
        var transport = new SmtpTransport(Config(server));

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        Assert.False(result.Delivered);
        Assert.True(result.IsTransient);
        var error = Assert.IsType<SmtpProtocolException>(result.Exception);
        Assert.Contains(reason.Length > 0 ? reason : "longer than 4096", error.Message);
        Assert.Contains("RCPT TO", error.Message);
        await FinishAsync(transport, server);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_GarbageEhloReply_TriesNoFurtherAndIsTransient()
    {
        var server = new ScriptedSmtpServer().Then("S: 220 hi\nC: EHLO client.test\nS: what?");
        var transport = new SmtpTransport(Config(server));

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        Assert.False(result.Delivered);
        Assert.True(result.IsTransient);
        Assert.Contains("malformed reply line \"what?\"", result.Detail);
        await FinishAsync(transport, server);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_StallAfterRcpt_TimesOutOnFakeClock()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING") + """
            C: MAIL FROM:
            C: RCPT TO:
            C: DATA
            S: 250 Ok
            STALL
            """);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var config = Config(server);
        config.TimeProvider = time;
        // Only RCPT TO may expire while the clock jumps; earlier stages finish in real milliseconds.
        config.Timeouts.MailFrom = TimeSpan.FromHours(1);
        var transport = new SmtpTransport(config);

        var delivery = DeliverAsync(transport, "x@a.test");
        await server.Stalled.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        // The client may still be between replies when the server stalls: keep advancing until it gives up.
        while (!delivery.IsCompleted)
        {
            time.Advance(config.Timeouts.RcptTo + TimeSpan.FromSeconds(1));
            await Task.WhenAny(delivery, Task.Delay(20, TestContext.Current.CancellationToken));
        }
        var result = Assert.Single(await delivery);

        Assert.False(result.Delivered);
        Assert.True(result.IsTransient);
        var timeout = Assert.IsType<SmtpTimeoutException>(result.Exception);
        Assert.Equal("RCPT TO", timeout.Command);
        Assert.Equal(config.Timeouts.RcptTo, timeout.Timeout);
        Assert.Contains($"127.0.0.1:{server.Port}", timeout.Host);
        await FinishAsync(transport, server);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_CallerCancelsDuringStall_ThrowsOperationCanceled()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING") + "C: MAIL FROM:\nC: RCPT TO:\nC: DATA\nSTALL");
        var transport = new SmtpTransport(Config(server));
        using var cts = new CancellationTokenSource();
        var envelope = new Envelope(s_sender, [new MailAddress("x@a.test")]);
        using var message = new MemoryStream(Encoding.UTF8.GetBytes(Message));

        var delivery = transport.DeliverAsync(envelope, message, cts.Token);
        await server.Stalled.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => delivery);
        await FinishAsync(transport, server);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_ConnectionDroppedMidData_IsTransientForTheWholeTransaction()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING") + """
            C: MAIL FROM:
            C: RCPT TO:<x@a.test>
            C: RCPT TO:<y@a.test>
            C: DATA
            S: 250 Ok
            S: 250 Ok
            S: 250 Ok
            S: 354 go
            BODYPART 20
            CLOSE
            """);
        var transport = new SmtpTransport(Config(server));

        var results = await DeliverAsync(transport, "x@a.test", "y@a.test");

        Assert.All(results, r =>
        {
            Assert.False(r.Delivered);
            Assert.True(r.IsTransient);
            Assert.IsType<SmtpProtocolException>(r.Exception);
        });
        await FinishAsync(transport, server);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_TlsHandshakeFailsOpportunistic_ReconnectsInClearAndRecordsIt()
    {
        var server = new ScriptedSmtpServer()
            .Then(ScriptedSmtpServer.Hello("PIPELINING", "STARTTLS") + "C: STARTTLS\nS: 220 2.0.0 Ready to start TLS\nRAW: this is not a TLS record\\r\\n\nCLOSE")
            .Then(ScriptedSmtpServer.Hello("PIPELINING") + "C: MAIL FROM:\nC: RCPT TO:\nC: DATA\nS: 250 Ok\nS: 250 Ok\nS: 354 go\nBODY\nS: 250 queued");
        var transport = new SmtpTransport(Config(server));

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        Assert.True(result.Delivered, result.Detail);
        Assert.False(result.UsedTls);
        Assert.False(result.CertificateValid);
        Assert.Contains("without TLS", result.Detail);
        Assert.Equal(2, server.ConnectionCount);
        await FinishAsync(transport, server);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_TlsHandshakeFailsRequired_NeverSendsInClear()
    {
        var server = new ScriptedSmtpServer()
            .Then(ScriptedSmtpServer.Hello("PIPELINING", "STARTTLS") + "C: STARTTLS\nS: 220 2.0.0 Ready to start TLS\nRAW: this is not a TLS record\\r\\n\nCLOSE");
        var transport = new SmtpTransport(Config(server, TlsPolicy.Required));

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        Assert.False(result.Delivered);
        Assert.True(result.IsTransient);
        Assert.Contains("TLS is required", result.Detail);
        Assert.Equal(1, server.ConnectionCount);
        await FinishAsync(transport, server);
        Assert.DoesNotContain(server.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_NoStartTlsOfferedRequired_FailsWithoutMail()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING"));
        var transport = new SmtpTransport(Config(server, TlsPolicy.Required));

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        Assert.False(result.Delivered);
        Assert.Contains("does not offer STARTTLS", result.Detail);
        await FinishAsync(transport, server);
        Assert.DoesNotContain(server.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_RealStartTls_RecordsProtocolAndInvalidSelfSignedCertificate()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING", "STARTTLS") + """
            C: STARTTLS
            S: 220 2.0.0 Ready to start TLS
            TLS
            C: EHLO client.test
            S: 250-scripted.test
            S: 250 PIPELINING
            C: MAIL FROM:
            C: RCPT TO:
            C: DATA
            S: 250 Ok
            S: 250 Ok
            S: 354 go
            BODY
            S: 250 queued
            """);
        ScriptedSmtpServer.WarmUpCertificate();
        var config = Config(server, TlsPolicy.Required);
        config.Timeouts.Command = TimeSpan.FromSeconds(25); // a TLS handshake on a loaded 2-core machine
        var transport = new SmtpTransport(config);

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        Assert.True(result.Delivered, result.Detail);
        Assert.True(result.UsedTls);
        Assert.False(result.CertificateValid);
        Assert.StartsWith("Tls1", result.TlsProtocol);
        Assert.NotNull(result.TlsCipher);
        await FinishAsync(transport, server);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_EhloRefused_FallsBackToHeloAndLockstep()
    {
        var server = new ScriptedSmtpServer().Then("""
            S: 220 old.test SMTP
            C!: EHLO client.test
            S: 500 5.5.1 Command unrecognized
            C!: HELO client.test
            S: 250 old.test
            C!: MAIL FROM:<sender@sender.test>
            S: 250 Ok
            C!: RCPT TO:<x@a.test>
            S: 250 Ok
            C!: DATA
            S: 354 go
            BODY
            S: 250 queued
            """);
        var transport = new SmtpTransport(Config(server));

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        Assert.True(result.Delivered, result.Detail);
        await FinishAsync(transport, server);
        Assert.Contains("MAIL FROM:<sender@sender.test>", server.Commands);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_NoPipelining_SendsOneCommandAtATime()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("8BITMIME", "SIZE") + """
            C!: MAIL FROM:<sender@sender.test> SIZE=
            S: 250 Ok
            C!: RCPT TO:<bad@a.test>
            S: 550 5.1.1 no such user
            C!: RCPT TO:<ok@a.test>
            S: 250 Ok
            C!: DATA
            S: 354 go
            BODY
            S: 250 queued
            """);
        var transport = new SmtpTransport(Config(server));

        var results = await DeliverAsync(transport, "bad@a.test", "ok@a.test");

        Assert.False(results[0].Delivered);
        Assert.False(results[0].IsTransient);
        Assert.True(results[1].Delivered);
        await FinishAsync(transport, server);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_TwoMessages_ReuseOneConnectionWithRset()
    {
        const string Transaction = "C: MAIL FROM:\nC: RCPT TO:\nC: DATA\nS: 250 Ok\nS: 250 Ok\nS: 354 go\nBODY\nS: 250 queued\n";
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING") + Transaction + "C: RSET\nS: 250 Ok\n" + Transaction);
        var transport = new SmtpTransport(Config(server));

        var first = Assert.Single(await DeliverAsync(transport, "x@a.test"));
        var second = Assert.Single(await DeliverAsync(transport, "y@a.test"));

        Assert.True(first.Delivered);
        Assert.True(second.Delivered);
        Assert.Equal(1, server.ConnectionCount);
        await FinishAsync(transport, server);
        Assert.Equal(2, server.Bodies.Count);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_NonAsciiLocalPartWithoutSmtpUtf8_FailsOnlyThatRecipient()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING", "8BITMIME") + """
            C: MAIL FROM:<sender@sender.test>
            C: RCPT TO:<plain@a.test>
            C: DATA
            S: 250 Ok
            S: 250 Ok
            S: 354 go
            BODY
            S: 250 queued
            """);
        var transport = new SmtpTransport(Config(server));

        var results = await DeliverAsync(transport, "josé@a.test", "plain@a.test");

        Assert.False(results[0].Delivered);
        Assert.False(results[0].IsTransient);
        Assert.Contains("SMTPUTF8", results[0].Detail);
        Assert.True(results[1].Delivered);
        await FinishAsync(transport, server);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_NonAsciiLocalPartWithSmtpUtf8_AsksForIt()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING", "8BITMIME", "SMTPUTF8") + """
            C: MAIL FROM:<sender@sender.test> SMTPUTF8
            C: RCPT TO:<josé@a.test>
            C: DATA
            S: 250 Ok
            S: 250 Ok
            S: 354 go
            BODY
            S: 250 queued
            """);
        var transport = new SmtpTransport(Config(server));

        var result = Assert.Single(await DeliverAsync(transport, "josé@a.test"));

        Assert.True(result.Delivered, result.Detail);
        await FinishAsync(transport, server);
    }

    [Theory]
    [InlineData("client.test\r\nMAIL FROM:<x@y>")]
    [InlineData("client\0.test")]
    [InlineData("")]
    public async Task Constructor_HostNameWithControlCharacters_ThrowsBeforeAnyIo(string hostName)
    {
        var server = new ScriptedSmtpServer();
        var config = Config(server);
        config.HostName = hostName;

        Assert.ThrowsAny<ArgumentException>(() => new SmtpTransport(config));

        await server.DisposeAsync();
        Assert.Equal(0, server.ConnectionCount);
    }
}
