using ModernMail.Delivery;
using Xunit;

namespace ModernMail.Tests.Delivery;

/// <summary>Pooled connections with unread input (issue 16, item 2): never reused, checked on return and again before reuse.</summary>
public partial class SmtpTransportFaultTests
{
    private const string CleanTransaction = """
        C: MAIL FROM:
        C: RCPT TO:<y@a.test>
        C: RCPT TO:<bad@a.test>
        C: DATA
        S: 250 2.1.0 Ok
        S: 250 2.1.5 <y@a.test> Ok
        S: 550 5.1.1 <bad@a.test> unknown
        S: 354 go
        BODY
        S: 250 2.0.0 queued as SECOND

        """;

    private static void AssertSecondMessage(IReadOnlyList<DeliveryResult> second)
    {
        Assert.True(second[0].Delivered, second[0].Detail);
        Assert.Equal("queued as SECOND", second[0].Reply?.Text);
        Assert.False(second[1].Delivered);
        Assert.False(second[1].IsTransient);
        Assert.Equal("<bad@a.test> unknown", second[1].Reply?.Text);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_DuplicateFinalReplyInTheSameWrite_ConnectionIsNotPooled()
    {
        var server = new ScriptedSmtpServer()
            .Then(ScriptedSmtpServer.Hello("PIPELINING") + """
                C: MAIL FROM:
                C: RCPT TO:<x@a.test>
                C: DATA
                S: 250 Ok
                S: 250 Ok
                S: 354 go
                BODY
                RAW: 250 2.0.0 queued as FIRST\r\n250 2.0.0 queued as FIRST\r\n
                """)
            .Then(ScriptedSmtpServer.Hello("PIPELINING") + CleanTransaction);
        var transport = new SmtpTransport(Config(server));

        var first = Assert.Single(await DeliverAsync(transport, "x@a.test"));
        Assert.Equal(0, transport.IdleConnections);
        var second = await DeliverAsync(transport, "y@a.test", "bad@a.test");

        Assert.True(first.Delivered, first.Detail);
        Assert.Equal("queued as FIRST", first.Reply?.Text);
        AssertSecondMessage(second);
        Assert.Equal(2, server.ConnectionCount);
        await FinishAsync(transport, server);
        Assert.DoesNotContain("RSET", server.Commands);
    }

    [Theory(Timeout = 30000)]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Deliver_DuplicateFinalReplyArrivingWhileIdle_IsCheckedBeforeReuse(bool tls)
    {
        // The duplicate comes after the session went back to the pool, so only a check when it is handed out sees it.
        // Over TLS the duplicate waits undecrypted in the socket: the check before RSET cannot see it, the pool's can.
        string hello = tls
            ? ScriptedSmtpServer.Hello("PIPELINING", "STARTTLS") + "C: STARTTLS\nS: 220 2.0.0 go\nTLS\nC: EHLO\nS: 250-scripted.test\nS: 250 PIPELINING\n"
            : ScriptedSmtpServer.Hello("PIPELINING");
        var server = new ScriptedSmtpServer()
            .Then(hello + """
                C: MAIL FROM:
                C: RCPT TO:<x@a.test>
                C: DATA
                S: 250 Ok
                S: 250 Ok
                S: 354 go
                BODY
                S: 250 2.0.0 queued as FIRST
                SLEEP 200
                S: 250 2.0.0 queued as FIRST
                STALL
                """)
            .Then(hello + CleanTransaction);
        ScriptedSmtpServer.WarmUpCertificate();
        var config = Config(server, tls ? TlsPolicy.Required : TlsPolicy.Opportunistic);
        config.Timeouts.Command = TimeSpan.FromSeconds(25); // a TLS handshake on a loaded 2-core machine
        var transport = new SmtpTransport(config);

        var first = Assert.Single(await DeliverAsync(transport, "x@a.test"));
        Assert.Equal(1, transport.IdleConnections);
        await server.Stalled.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await Task.Delay(100, TestContext.Current.CancellationToken); // let the duplicate cross the loopback
        var second = await DeliverAsync(transport, "y@a.test", "bad@a.test");

        Assert.True(first.Delivered, first.Detail);
        AssertSecondMessage(second);
        Assert.Equal(tls, second[0].UsedTls);
        Assert.Equal(2, server.ConnectionCount);
        await FinishAsync(transport, server);
        Assert.DoesNotContain("RSET", server.Commands);
    }
}
