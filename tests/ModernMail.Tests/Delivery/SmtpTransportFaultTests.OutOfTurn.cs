using ModernMail.Delivery;
using ModernMail.Smtp;
using Xunit;

namespace ModernMail.Tests.Delivery;

/// <summary>Replies out of turn (issue 16, item 1): bytes waiting before a command and replies of the wrong class break
/// the session; the recipients they touch are transient, never given another command's reply.</summary>
public partial class SmtpTransportFaultTests
{
    private static void AssertOutOfTurn(DeliveryResult result)
    {
        Assert.False(result.Delivered);
        Assert.True(result.IsTransient, result.Detail);
        Assert.Null(result.Reply);
        var error = Assert.IsType<SmtpProtocolException>(result.Exception);
        Assert.Contains("out of turn", error.Message);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_ExtraReplyInTheEhloWrite_SendsNoBatchAndNoRecipientGetsAnotherOnesReply()
    {
        // The server: one write carries the EHLO answer and an unsolicited 250.
        var server = new ScriptedSmtpServer().Then("""
            S: 220 scripted.test ESMTP
            C: EHLO client.test
            RAW: 250-scripted.test\r\n250 PIPELINING\r\n250 2.0.0 extra\r\n
            """);
        var transport = new SmtpTransport(Config(server));

        var results = await DeliverAsync(transport, "ok@a.test", "bad@a.test");

        Assert.All(results, AssertOutOfTurn);
        Assert.Contains("250 2.0.0 extra", results[0].Detail);
        await FinishAsync(transport, server);
        Assert.DoesNotContain(server.Commands, c => c.StartsWith("MAIL", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_250ToPipelinedData_IsOutOfTurnNotDataRejected()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING") + """
            C: MAIL FROM:
            C: RCPT TO:<ok@a.test>
            C: RCPT TO:<bad@a.test>
            C: DATA
            S: 250 2.1.0 Ok
            S: 250 2.1.5 <ok@a.test> Ok
            S: 550 5.1.1 <bad@a.test> unknown
            S: 250 2.0.0 this is not an answer to DATA
            """);
        var transport = new SmtpTransport(Config(server));

        var results = await DeliverAsync(transport, "ok@a.test", "bad@a.test");

        // Which reply went astray cannot be known once DATA is answered 250: none of the batch's replies is trusted.
        Assert.All(results, AssertOutOfTurn);
        Assert.DoesNotContain("DATA rejected", results[0].Detail);
        await FinishAsync(transport, server);
        Assert.Empty(server.Bodies);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_354ToRcpt_IsOutOfTurn()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello() + """
            C!: MAIL FROM:
            S: 250 Ok
            C!: RCPT TO:<x@a.test>
            S: 354 go ahead
            """);
        var transport = new SmtpTransport(Config(server));

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        AssertOutOfTurn(result);
        Assert.Contains("354", result.Detail);
        await FinishAsync(transport, server);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_ExtraReplyAfterMailInLockstep_SendsNoRcpt()
    {
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello() + """
            C!: MAIL FROM:
            RAW: 250 2.1.0 Ok\r\n550 5.1.1 extra\r\n
            """);
        var transport = new SmtpTransport(Config(server));

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        AssertOutOfTurn(result);
        await FinishAsync(transport, server);
        Assert.DoesNotContain(server.Commands, c => c.StartsWith("RCPT", StringComparison.Ordinal));
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_ExtraReplyWith354_SendsNoMessageAndReadsNoFinalReply()
    {
        // Sending the body now would make "250 extra" the answer to the final dot.
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING") + """
            C: MAIL FROM:
            C: RCPT TO:<x@a.test>
            C: DATA
            S: 250 Ok
            S: 250 Ok
            RAW: 354 go\r\n250 2.0.0 extra\r\n
            """);
        var transport = new SmtpTransport(Config(server));

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        AssertOutOfTurn(result);
        await FinishAsync(transport, server);
        Assert.Empty(server.Bodies);
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_RejectedDataFollowedByStray354_ForgetsTheShiftedRcptReplies()
    {
        // One extra 250 after MAIL shifts every reply: bad@ would get ok@'s 250, DATA gets bad@'s 550 and the
        // real 354 is left for RSET. Nothing read in this transaction may decide a recipient.
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING") + """
            C: MAIL FROM:
            C: RCPT TO:<ok@a.test>
            C: RCPT TO:<bad@a.test>
            C: DATA
            RAW: 250 2.1.0 Ok\r\n250 2.0.0 extra\r\n250 2.1.5 <ok@a.test> Ok\r\n550 5.1.1 <bad@a.test> unknown\r\n354 go\r\n
            """);
        var transport = new SmtpTransport(Config(server));

        var results = await DeliverAsync(transport, "ok@a.test", "bad@a.test");

        Assert.All(results, AssertOutOfTurn);
        await FinishAsync(transport, server);
    }
}
