using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>Late bounces and complaints on a real <c>mailbroker serve</c> with a bounce domain: every copy leaves with its own VERP
/// envelope sender (seen as Return-Path by the test world's Postfix), and DSNs and ARF reports sent to those addresses with
/// Python's smtplib become bounced and complained events with suppressions. The listener is no relay and no mailbox.</summary>
public sealed partial class ServerBounceListenerTests : IAsyncLifetime
{
    private const string BounceDomain = "bounces.sender.test";

    private readonly int _inboundPort = ServeProcess.FreePort(29400, 100);
    private ConfiguredServer _world = null!; // Set in InitializeAsync.
    private string _secret = "";

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private ServeProcess Server => _world.Server;

    private string DataDirectory => _world.Directory;

    public async ValueTask InitializeAsync()
    {
        _world = await ConfiguredServer.StartAsync("inbound", new
        {
            Dkim = new[] { new { Domain = TestWorld.SenderDomain, Selector = TestWorld.RsaSelector, KeyFile = TestWorld.RsaKeyPath } },
            Inbound = new { Domain = BounceDomain, Listen = $"127.0.0.1:{_inboundPort}" },
        }, smtpPort: ServeProcess.FreePort(29500, 100), cancellationToken: Ct);
        _secret = await Server.CreateKeyAsync("tests", TestWorld.SenderDomain);
    }

    public ValueTask DisposeAsync() => _world.DisposeAsync();

    [Fact]
    public async Task ADsnAndAnArfReport_ToTheVerpAddresses_BecomeBouncedAndComplainedEventsWithSuppressions()
    {
        string alice = TestWorld.Unique("verp-a");
        string bob = TestWorld.Unique("verp-b");
        using var client = Server.Client(_secret);
        using var response = await client.PostAsJsonAsync("/v1/messages", new { from = "news@sender.test", to = new[] { alice, bob }, subject = "VERP", text = "hi" }, Ct);
        string text = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, text);
        using var accepted = JsonDocument.Parse(text);
        var copies = accepted.RootElement.GetProperty("recipients").EnumerateArray().ToDictionary(r => r.GetProperty("email").GetString()!, r => r.GetProperty("messageId").GetString()!);
        Assert.NotEqual(copies[alice], copies[bob]);

        // Each copy's envelope sender names it; the message itself is the same and signed.
        var verp = new Dictionary<string, string>();
        foreach (string rcpt in (string[])[alice, bob])
        {
            string delivered = File.ReadAllText(Assert.Single(await TestWorld.WaitForMessagesAsync(rcpt, cancellationToken: Ct)));
            var match = ReturnPath().Match(delivered);
            Assert.True(match.Success, delivered[..Math.Min(delivered.Length, 600)]);
            Assert.Equal(copies[rcpt], match.Groups["id"].Value);
            Assert.True(match.Groups["local"].Value.Length <= 64);
            Assert.Contains("dkim=pass", delivered, StringComparison.Ordinal);
            verp[rcpt] = match.Groups["address"].Value;
        }

        // A delay notice is not a failure, and a message that is no report at all is dropped: neither records anything.
        Assert.Equal("250", await SendReportAsync(verp[alice], Dsn(verp[alice], alice, "delayed", "4.4.1", "smtp; 451 4.4.1 try later")));
        Assert.Equal("250", await SendReportAsync(verp[alice], "From: someone@a.test\r\nSubject: out of office\r\n\r\nI am away.\r\n", sender: "someone@a.test"));
        Assert.Empty(await EventsAsync(client, $"messageId={copies[alice]}&type=bounced"));

        // The DSN a relay sends later from <>: bounced, classified by the receiver's own reply, and the address suppressed.
        Assert.Equal("250", await SendReportAsync(verp[alice], Dsn(verp[alice], alice, "failed", "5.1.1",
            $"smtp; 550 5.1.1 <{alice}>: Recipient address rejected: User unknown in virtual mailbox table")));
        var bounced = Assert.Single(await EventsAsync(client, $"messageId={copies[alice]}&type=bounced"));
        Assert.Equal(alice, bounced.GetProperty("recipient").GetString());
        Assert.Equal("InvalidRecipient", bounced.GetProperty("category").GetString());
        Assert.Equal("hardBounce", await SuppressionReasonAsync(client, alice));

        // An ARF abuse report (a feedback loop): complained, and suppressed as a complaint. Bob was never bounced.
        Assert.Equal("250", await SendReportAsync(verp[bob], Arf(verp[bob], bob), sender: "fbl@a.test"));
        var complained = Assert.Single(await EventsAsync(client, $"messageId={copies[bob]}&type=complained"));
        Assert.Equal(bob, complained.GetProperty("recipient").GetString());
        Assert.Equal("complaint", await SuppressionReasonAsync(client, bob));
        Assert.Empty(await EventsAsync(client, $"messageId={copies[bob]}&type=bounced"));

        // The next send to either is suppressed: no copy leaves.
        using var next = await client.PostAsJsonAsync("/v1/messages", new { from = "news@sender.test", to = new[] { alice, bob }, subject = "again", text = "hi" }, Ct);
        using var nextBody = JsonDocument.Parse(await next.Content.ReadAsStringAsync(Ct));
        Assert.All(nextBody.RootElement.GetProperty("recipients").EnumerateArray(), r => Assert.Equal("suppressed", r.GetProperty("status").GetString()));
    }

    [Fact]
    public async Task TheListener_IsNoRelay_RefusesForgedAndUnknownTokens_AndOffersNoAuth()
    {
        string carol = TestWorld.Unique("verp-c");
        using var client = Server.Client(_secret);
        // Over SMTP submission too, each copy gets its VERP sender.
        using (var smtp = await SmtpClients.ConnectMailKitAsync(Server.SmtpPort, Ct))
        {
            await smtp.AuthenticateAsync("tests", _secret, Ct);
            await smtp.SendAsync(SmtpClients.Message("news@sender.test", carol, "over SMTP"), Ct);
            await smtp.DisconnectAsync(quit: true, Ct);
        }
        string delivered = File.ReadAllText(Assert.Single(await TestWorld.WaitForMessagesAsync(carol, cancellationToken: Ct)));
        var match = ReturnPath().Match(delivered);
        Assert.True(match.Success, delivered[..Math.Min(delivered.Length, 600)]);
        string address = match.Groups["address"].Value;
        string id = match.Groups["id"].Value;
        string altered = address[..(address.IndexOf('@', StringComparison.Ordinal) - 1)] + (address[address.IndexOf('@', StringComparison.Ordinal) - 1] == '0' ? '1' : '0')
            + address[address.IndexOf('@', StringComparison.Ordinal)..];

        var (exitCode, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            s = connect()
            show('ehlo', (s.ehlo_resp and 250, s.ehlo_resp or b''))
            show('auth', s.docmd('AUTH', 'PLAIN ' + plain('tests', SECRET)))
            show('mail', s.docmd('MAIL', 'FROM:<>'))
            for rcpt in ARGS:
                show('rcpt ' + rcpt, s.docmd('RCPT', 'TO:<' + rcpt + '>'))
            s.quit()
            """, _inboundPort, "tests", _secret,
            [$"someone@{TestWorld.DomainA}", altered, $"bounces+{new string('0', 32)}.{new string('0', 20)}@{BounceDomain}", $"postmaster@{BounceDomain}", address],
            cancellationToken: Ct);
        Assert.True(exitCode == 0, stderr);
        string[] lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.DoesNotContain("AUTH", lines[0], StringComparison.Ordinal);
        Assert.StartsWith("auth 502", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("mail 250", lines[2], StringComparison.Ordinal);
        Assert.Contains("550 5.7.1", lines[3], StringComparison.Ordinal); // another domain: no relay
        Assert.Contains("550 5.1.1", lines[4], StringComparison.Ordinal); // one character of the MAC changed
        Assert.Contains("550 5.1.1", lines[5], StringComparison.Ordinal); // well formed, no such copy
        Assert.Contains("550 5.1.1", lines[6], StringComparison.Ordinal); // not a VERP address
        Assert.Contains("250", lines[7], StringComparison.Ordinal);      // the real one
        Assert.Empty(await EventsAsync(client, $"messageId={id}&type=bounced"));
    }

    /// <summary>Sends <paramref name="message"/> to the bounce listener with smtplib; returns the reply code to the final dot.</summary>
    private async Task<string> SendReportAsync(string verpAddress, string message, string sender = "")
    {
        string file = Path.Combine(DataDirectory, Guid.NewGuid().ToString("N") + ".eml");
        await File.WriteAllTextAsync(file, message, Ct);
        var (exitCode, stdout, stderr) = await SmtpClients.RunPythonAsync("""
            s = connect()
            s.mail(ARGS[2]); code, _ = s.rcpt(ARGS[0])
            if code != 250: print(code); sys.exit(0)
            code, _ = s.data(open(ARGS[1], 'rb').read())
            print(code)
            s.quit()
            """, _inboundPort, "-", "-", [verpAddress, file, sender], cancellationToken: Ct);
        Assert.True(exitCode == 0, stderr);
        return stdout.Trim();
    }

    private static string Dsn(string verp, string recipient, string action, string status, string diagnostic) => $"""
        From: MAILER-DAEMON@mx.a.test
        To: {verp}
        Subject: Undelivered Mail Returned to Sender
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=delivery-status; boundary="dsn-b"

        --dsn-b
        Content-Type: text/plain

        Your message could not be delivered.

        --dsn-b
        Content-Type: message/delivery-status

        Reporting-MTA: dns; mx.a.test
        Arrival-Date: Fri, 4 Dec 2026 12:00:00 +0000

        Final-Recipient: rfc822; {recipient}
        Original-Recipient: rfc822; {recipient}
        Action: {action}
        Status: {status}
        Remote-MTA: dns; mailbox.a.test
        Diagnostic-Code: {diagnostic}

        --dsn-b
        Content-Type: text/rfc822-headers

        Return-Path: <{verp}>
        From: news@sender.test
        To: {recipient}
        Subject: VERP

        --dsn-b--
        """.ReplaceLineEndings("\r\n");

    private static string Arf(string verp, string recipient) => $"""
        From: fbl@a.test
        To: {verp}
        Subject: FW: VERP
        MIME-Version: 1.0
        Content-Type: multipart/report; report-type=feedback-report; boundary="arf-b"

        --arf-b
        Content-Type: text/plain

        This is an email abuse report for an email message received from IP 127.0.0.1.

        --arf-b
        Content-Type: message/feedback-report

        Feedback-Type: abuse
        User-Agent: TestFBL/1.0
        Version: 1
        Original-Mail-From: <{verp}>
        Original-Rcpt-To: <{recipient}>
        Source-IP: 127.0.0.1

        --arf-b
        Content-Type: message/rfc822

        From: news@sender.test
        To: {recipient}
        Subject: VERP

        hi

        --arf-b--
        """.ReplaceLineEndings("\r\n");

    private static async Task<List<JsonElement>> EventsAsync(HttpClient client, string query)
    {
        using var document = await client.GetFromJsonAsync<JsonDocument>("/v1/events?" + query, Ct);
        return document!.RootElement.GetProperty("events").EnumerateArray().Select(e => e.Clone()).ToList();
    }

    private static async Task<string?> SuppressionReasonAsync(HttpClient client, string address)
    {
        using var list = await client.GetFromJsonAsync<JsonDocument>($"/v1/suppressions?address={Uri.EscapeDataString(address)}", Ct);
        return Assert.Single(list!.RootElement.GetProperty("suppressions").EnumerateArray()).GetProperty("reason").GetString();
    }

    [GeneratedRegex(@"^Return-Path: <(?<address>(?<local>bounces\+(?<id>[0-9a-f]{32})\.[0-9a-f]{20})@bounces\.sender\.test)>", RegexOptions.Multiline)]
    private static partial Regex ReturnPath();
}
