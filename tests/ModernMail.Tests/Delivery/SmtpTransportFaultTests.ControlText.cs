using System.Text;
using ModernMail.Delivery;
using ModernMail.Tests.Internal;
using Xunit;

namespace ModernMail.Tests.Delivery;

/// <summary>Control characters in a server's reply text (issue 16, item 3): everything we print, log or store is escaped; the raw bytes stay available.</summary>
public partial class SmtpTransportFaultTests
{
    [Fact(Timeout = 30000)]
    public async Task Deliver_RepliesWithTerminalEscapes_AreEscapedInResultsAndLogs()
    {
        const string Hostile = "\u001b]0;owned\u0007\u001b[2J nul\0 nel\u0085 csi\u009b31m rlo\u202Etxt.exe ls\u2028";
        var server = new ScriptedSmtpServer().Then(ScriptedSmtpServer.Hello("PIPELINING", "ENHANCEDSTATUSCODES") + $"""
            C: MAIL FROM:
            C: RCPT TO:<ok@a.test>
            C: RCPT TO:<bad@a.test>
            C: DATA
            S: 250 2.1.0 Ok
            S: 250 2.1.5 Ok {Hostile}.
            S: 550 5.1.1 <bad@a.test> {Hostile}.
            S: 354 go
            BODY
            S: 250 2.0.0 queued {Hostile}.
            """);
        var logs = new ListLoggerFactory();
        var config = Config(server);
        config.LoggerFactory = logs;
        var transport = new SmtpTransport(config);

        var results = await DeliverAsync(transport, "ok@a.test", "bad@a.test");

        Assert.True(results[0].Delivered, results[0].Detail);
        Assert.False(results[1].Delivered);
        Assert.False(results[1].IsTransient);
        const string Escaped = "\\x1B]0;owned\\x07\\x1B[2J nul\\x00 nel\\x85 csi\\x9B31m rlo\\u{202E}txt.exe ls\\u{2028}.";
        Assert.Equal("queued " + Escaped, results[0].Reply?.Text);
        Assert.Equal("<bad@a.test> " + Escaped, results[1].Reply?.Text);
        foreach (var result in results)
        {
            Assert.True(Printable.IsSafe(result.Detail!), result.Detail);
            Assert.True(Printable.IsSafe(result.Reply!.ToString()));
            Assert.Contains(Escaped, result.Detail);
        }
        // The bytes as sent are still there for whoever needs them.
        Assert.Equal($"550 5.1.1 <bad@a.test> {Hostile}.\r\n", Encoding.UTF8.GetString(results[1].Reply!.RawBytes.Span));
        await FinishAsync(transport, server);
        Assert.Contains(logs.Lines, l => l.Message.Contains(Escaped, StringComparison.Ordinal));
        Assert.All(logs.Lines, l => Assert.True(Printable.IsSafe(l.Message), l.Message));
    }

    [Fact(Timeout = 30000)]
    public async Task Deliver_GreetingRefusedWithControls_DetailIsEscaped()
    {
        var server = new ScriptedSmtpServer().Then("S: 554 5.7.1 go away\u001b[31m\0\nCLOSE");
        var logs = new ListLoggerFactory();
        var config = Config(server);
        config.LoggerFactory = logs;
        var transport = new SmtpTransport(config);

        var result = Assert.Single(await DeliverAsync(transport, "x@a.test"));

        Assert.False(result.Delivered);
        Assert.Contains("go away\\x1B[31m\\x00", result.Detail);
        Assert.True(Printable.IsSafe(result.Detail!), result.Detail);
        await FinishAsync(transport, server);
        Assert.All(logs.Lines, l => Assert.True(Printable.IsSafe(l.Message), l.Message));
        Assert.Contains(logs.Lines, l => l.Message.Contains("go away\\x1B[31m\\x00", StringComparison.Ordinal));
    }
}
