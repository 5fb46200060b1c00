using System.Text.Json;
using MimeKit;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Cli;

/// <summary><c>mailbroker send</c> into the loopback world: real DNS (127.0.0.1:5300), Postfix with STARTTLS, OpenDKIM verifying.</summary>
public sealed class CliSendTests : IDisposable
{
    private readonly CliTestFiles _files = new();

    public CliSendTests() => TestWorld.EnsureUp();

    [Fact]
    public async Task Send_ToTestWorld_DeliversSignedMessageAndPrintsJsonLines()
    {
        string to = TestWorld.Unique("cli");
        string cc = TestWorld.Unique("clicc", TestWorld.DomainB);
        string bcc = TestWorld.Unique("clibcc");

        CliResult result = await CliProcess.RunAsync(
        [
            "send", "--from", "CLI Sender <me@sender.test>", "--to", to, "--cc", cc, "--bcc", bcc,
            "--subject", "CLI send ✓", "--text", _files.TextPath, "--html", _files.HtmlPath, "--attach", _files.AttachmentPath,
            "--header", "X-Campaign: cli-test", "--helo", TestWorld.SenderDomain, .. CliTestKeys.BothSignatures,
            "--dns", "127.0.0.1:5300", "--tls", "required", "--json",
        ], stdin: null, TimeSpan.FromSeconds(90));

        Assert.True(result.ExitCode == 0, result.ToString());
        JsonElement[] lines = [.. result.StdoutLines.Select(line => JsonDocument.Parse(line).RootElement)];
        Assert.Equal([to, cc, bcc], lines.Select(l => l.GetProperty("recipient").GetString()));
        foreach (JsonElement line in lines)
        {
            Assert.True(line.GetProperty("delivered").GetBoolean());
            Assert.False(line.GetProperty("transient").GetBoolean());
            Assert.Equal(250, line.GetProperty("code").GetInt32());
            Assert.Equal("2.0.0", line.GetProperty("enhancedCode").GetString());
            Assert.StartsWith("Ok: queued as", line.GetProperty("response").GetString());
            Assert.Equal(TestWorld.MxHost, line.GetProperty("mx").GetString());
            Assert.StartsWith("Tls1", line.GetProperty("tls").GetString());
        }

        string delivered = (await TestWorld.WaitForMessagesAsync(to, cancellationToken: TestContext.Current.CancellationToken)).Single();
        MimeMessage message = Eml.Load(delivered);
        Assert.Equal("CLI send ✓", message.Subject);
        Assert.Equal("me@sender.test", message.From.Mailboxes.Single().Address);
        Assert.Equal("cli-test", message.Headers["X-Campaign"]);
        Assert.Equal(CliTestFiles.TextBody, Eml.Text(message));
        Assert.Contains("<b>mailbroker</b>", Eml.Html(message));
        (string? name, byte[] attachment) = Eml.Attachment(message);
        Assert.Equal("data.bin", name);
        Assert.Equal(_files.AttachmentBytes, attachment);

        Assert.Empty(message.Bcc);
        Assert.DoesNotContain(bcc, File.ReadAllText(delivered), StringComparison.OrdinalIgnoreCase);
        string results = string.Join(" ", message.Headers.Where(h => h.Field == "Authentication-Results").Select(h => h.Value));
        Assert.Contains("header.s=rsa2048", results);
        Assert.Contains("header.s=ed25519", results);
        Assert.DoesNotContain("dkim=fail", results);
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(results, "dkim=pass"));
        Assert.Contains("using TLS", string.Join(" ", message.Headers.Where(h => h.Field == "Received").Select(h => h.Value)));

        Assert.Single(await TestWorld.WaitForMessagesAsync(cc, cancellationToken: TestContext.Current.CancellationToken));
        Assert.Single(await TestWorld.WaitForMessagesAsync(bcc, cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Send_SomeRecipientsRefused_ExitsOneWithPerRecipientOutcome()
    {
        string ok = TestWorld.Unique("cliok");
        string rejected = TestWorld.Unique("reject");
        string deferred = TestWorld.Unique("defer");
        string nullMx = "x@" + TestWorld.NullMxDomain;

        CliResult human = await CliProcess.RunAsync(
        [
            "send", "--from", "me@sender.test", "--to", ok, "--to", rejected, "--cc", deferred, "--bcc", nullMx,
            "--subject", "partial", "--text", _files.TextPath, "--dns", "127.0.0.1:5300",
        ], stdin: null, TimeSpan.FromSeconds(90));

        Assert.True(human.ExitCode == 1, human.ToString());
        string[] lines = human.StdoutLines;
        Assert.Equal(4, lines.Length);
        Assert.Matches($"^delivered +{ok} +mx=mx.a.test +tls=Tls1", lines[0]);
        Assert.Matches($"^failed +{rejected} .* 550 5\\.1\\.1 ", lines[1]);
        Assert.Matches($"^deferred +{deferred} .* 450 4\\.2\\.0 ", lines[2]);
        Assert.Matches($"^failed +{nullMx} +mx=- +tls=none", lines[3]);
        Assert.Contains("1 of 4 recipient(s) delivered", human.Stderr);
        Assert.Single(await TestWorld.WaitForMessagesAsync(ok, cancellationToken: TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Send_Json_ReportsTransientAndPermanentFailures()
    {
        string rejected = TestWorld.Unique("reject");
        string deferred = TestWorld.Unique("defer");

        CliResult result = await CliProcess.RunAsync(
        [
            "send", "--from", "me@sender.test", "--to", rejected, "--to", deferred, "--to", "x@" + TestWorld.NoSuchDomain,
            "--text", _files.TextPath, "--dns", "127.0.0.1:5300", "--json",
        ], stdin: null, TimeSpan.FromSeconds(90));

        Assert.True(result.ExitCode == 1, result.ToString());
        Dictionary<string, JsonElement> byRecipient = result.StdoutLines
            .Select(line => JsonDocument.Parse(line).RootElement)
            .ToDictionary(e => e.GetProperty("recipient").GetString()!);
        Assert.False(byRecipient[rejected].GetProperty("transient").GetBoolean());
        Assert.Equal(550, byRecipient[rejected].GetProperty("code").GetInt32());
        Assert.Equal("5.1.1", byRecipient[rejected].GetProperty("enhancedCode").GetString());
        Assert.Equal("RcptTo", byRecipient[rejected].GetProperty("stage").GetString());
        Assert.Equal("InvalidRecipient", byRecipient[rejected].GetProperty("category").GetString());
        Assert.True(byRecipient[deferred].GetProperty("transient").GetBoolean());
        Assert.Equal(450, byRecipient[deferred].GetProperty("code").GetInt32());
        JsonElement nxdomain = byRecipient["x@" + TestWorld.NoSuchDomain];
        Assert.False(nxdomain.GetProperty("delivered").GetBoolean());
        Assert.False(nxdomain.GetProperty("transient").GetBoolean());
        Assert.Equal(JsonValueKind.Null, nxdomain.GetProperty("code").ValueKind);
        Assert.Equal(JsonValueKind.Null, nxdomain.GetProperty("mx").ValueKind);
        Assert.Equal("Dns", nxdomain.GetProperty("stage").GetString());
        Assert.Equal("BadDomain", nxdomain.GetProperty("category").GetString());
        Assert.False(string.IsNullOrEmpty(nxdomain.GetProperty("response").GetString()));
        Assert.All(byRecipient.Values, e => Assert.False(e.GetProperty("delivered").GetBoolean()));
    }

    [Fact]
    public async Task Send_TextFromStdin_IsTheBody()
    {
        string to = TestWorld.Unique("clistdin");

        CliResult result = await CliProcess.RunAsync(
            ["send", "--from", "me@sender.test", "--to", to, "--subject", "stdin", "--text", "-", "--dns", "127.0.0.1:5300"],
            stdin: "Piped body line one\nline two\n",
            TimeSpan.FromSeconds(90));

        Assert.True(result.ExitCode == 0, result.ToString());
        MimeMessage message = Eml.Load((await TestWorld.WaitForMessagesAsync(to, cancellationToken: TestContext.Current.CancellationToken)).Single());
        Assert.Equal("Piped body line one\nline two\n", Eml.Text(message));
    }

    [Fact]
    public async Task Send_CtrlC_CancelsAHangingDeliveryWithExit130()
    {
        using var trap = new ConnectionTrap();
        var started = new TaskCompletionSource<int>();

        Task<CliResult> run = CliProcess.RunAsync(
            ["send", "--from", "me@sender.test", "--to", "x@a.test", "--text", _files.TextPath, "--route", trap.SmartHostRoute],
            stdin: null,
            TimeSpan.FromSeconds(60),
            process => started.SetResult(process.Id));
        int pid = await started.Task;
        for (int i = 0; i < 600 && trap.Connections == 0; i++)
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.Equal(1, trap.Connections); // connected, and the server never greets: the client waits
        using (var kill = System.Diagnostics.Process.Start("kill", ["-INT", pid.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(TestContext.Current.CancellationToken);
        }

        var stopwatch = System.Diagnostics.Stopwatch.StartNew();
        CliResult result = await run;

        Assert.True(result.ExitCode == 130, result.ToString());
        Assert.Contains("cancelled", result.Stderr);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"took {stopwatch.Elapsed} to stop");
    }

    [Fact]
    public async Task Send_StalledServerWithTimeout_SaysWhatItWaitsForAndDefersTheRecipient()
    {
        using var trap = new ConnectionTrap(); // accepts and never greets

        CliResult result = await CliProcess.RunAsync(
            ["send", "--from", "me@sender.test", "--to", "x@a.test", "--text", _files.TextPath, "--route", trap.SmartHostRoute, "--timeout", "7s"],
            stdin: null,
            TimeSpan.FromSeconds(60));

        Assert.True(result.ExitCode == 1, result.ToString());
        Assert.Matches("^deferred +x@a.test .*greeting .*timed out after 7 s", result.StdoutLines.Single());
        Assert.Matches($"mailbroker: waiting [5-7] s for the greeting of 127.0.0.1 \\[127.0.0.1:{trap.Port}\\]", result.Stderr);
    }

    [Theory]
    [InlineData("0s", "--timeout must be more than zero")]
    [InlineData("soon", "'soon' is not a duration")]
    public async Task Send_BadTimeout_IsUsageError(string value, string expected)
    {
        CliResult result = await CliProcess.RunAsync("send", "--from", "me@sender.test", "--to", "x@a.test", "--text", _files.TextPath, "--route", "*=127.0.0.1:9", "--timeout", value);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => _files.Dispose();
}
