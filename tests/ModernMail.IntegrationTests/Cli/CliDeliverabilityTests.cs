using System.Text.Json;
using System.Text.RegularExpressions;
using ModernMail.Deliverability;
using ModernMail.Dns;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Cli;

/// <summary><c>mailbroker dns records</c> and <c>mailbroker doctor</c> against the loopback world's DNS (127.0.0.1:5300).</summary>
public sealed class CliDeliverabilityTests
{
    private const string Dns = "127.0.0.1:5300";

    public CliDeliverabilityTests() => TestWorld.EnsureUp();

    [Fact]
    public async Task DnsRecords_PrintsSpfDkimDmarcPtrAndHeloLines_WithTheDkimKeyTheWorldPublishes()
    {
        CliResult result = await CliProcess.RunAsync(
            "dns", "records", "--domain", "sender.test", "--ip", "127.0.0.1", "--helo", "mx.a.test", "--selector", "rsa2048", "--key", CliTestKeys.Rsa);

        Assert.True(result.ExitCode == 0, result.ToString());
        string[] lines = result.StdoutLines;
        Assert.Contains("sender.test. IN TXT \"v=spf1 ip4:127.0.0.1 -all\"", lines);
        Assert.Contains(lines, l => l.StartsWith("_dmarc.sender.test. IN TXT \"v=DMARC1; p=none; rua=mailto:", StringComparison.Ordinal));
        Assert.Contains("1.0.0.127.in-addr.arpa. IN PTR mx.a.test.", lines);
        Assert.Contains("mx.a.test. IN A 127.0.0.1", lines);
        Assert.Contains(lines, l => l.StartsWith(';') && l.Contains("owner of the IP address", StringComparison.Ordinal));

        // The DKIM line, its 255-byte strings joined, is the key the test world publishes for the same private key.
        string dkim = Assert.Single(lines, l => l.StartsWith("rsa2048._domainkey.sender.test. IN TXT ", StringComparison.Ordinal));
        string[] strings = [.. Regex.Matches(dkim, "\"([^\"]*)\"").Select(m => m.Groups[1].Value)];
        Assert.True(strings.Length > 1, dkim);
        Assert.All(strings, s => Assert.True(s.Length <= 255, s));
        string value = string.Concat(strings);
        var published = await new DnsClientLookup([Dns]).QueryTxtAsync("rsa2048._domainkey.sender.test", TestContext.Current.CancellationToken);
        Assert.Equal([value], published.Records);
    }

    [Fact]
    public async Task DnsRecords_Json_ForIpv6_ParsesWithIp6SpfAaaaAndIp6ArpaPtr()
    {
        CliResult result = await CliProcess.RunAsync(
            "dns", "records", "--domain", "example.com", "--ip", "2001:db8::25", "--helo", "mail.example.com",
            "--selector", "ed", "--key", CliTestKeys.Ed25519, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        var records = json.RootElement.EnumerateArray()
            .Select(r => (Name: r.GetProperty("name").GetString(), Type: r.GetProperty("type").GetString(), Value: r.GetProperty("value").GetString()))
            .ToList();
        Assert.Contains(("example.com", "TXT", "v=spf1 ip6:2001:db8::25 -all"), records);
        Assert.Contains(records, r => r.Name == "ed._domainkey.example.com" && r.Type == "TXT" && r.Value!.StartsWith("v=DKIM1; k=ed25519; p=", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Name == "_dmarc.example.com" && r.Value!.StartsWith("v=DMARC1; p=none;", StringComparison.Ordinal));
        Assert.Contains(("5.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6.arpa", "PTR", "mail.example.com"), records);
        Assert.Contains(("mail.example.com", "AAAA", "2001:db8::25"), records);
        Assert.All(json.RootElement.EnumerateArray(), r => Assert.False(string.IsNullOrEmpty(r.GetProperty("publishedBy").GetString())));
    }

    [Fact]
    public async Task Doctor_SenderTest_Json_ExitsZeroWithEveryRequiredCheckPassing()
    {
        CliResult result = await CliProcess.RunAsync(
            "doctor", "--domain", "sender.test", "--ip", "127.0.0.1", "--helo", "mx.a.test", "--selector", "rsa2048", "--key", CliTestKeys.Rsa,
            "--dns", Dns, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.True(json.RootElement.GetProperty("ok").GetBoolean());
        var checks = Checks(json);
        Assert.DoesNotContain(checks, c => c.Status == "fail");
        foreach (string area in new[] { "SPF", "DKIM", "DMARC", "PTR", "HELO", "MX" })
        {
            Assert.True(checks.Where(c => c.Area == area).Any() && checks.Where(c => c.Area == area).All(c => c.Status == "pass"), $"{area}: {result}");
        }

        Assert.Contains(checks, c => c.Area == "DKIM" && c.Summary.Contains("matches the private key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Doctor_Text_WhenRedirected_HasStatusLinesAndNoColour()
    {
        CliResult result = await CliProcess.RunAsync(
            "doctor", "--domain", "sender.test", "--ip", "127.0.0.1", "--helo", "mx.a.test", "--selector", "rsa2048", "--dns", Dns);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains(result.StdoutLines, l => l.StartsWith("PASS  SPF ", StringComparison.Ordinal));
        Assert.Contains(result.StdoutLines, l => l.StartsWith("PASS  DKIM ", StringComparison.Ordinal));
        Assert.Contains(result.StdoutLines, l => l.StartsWith("WARN  MTA-STS ", StringComparison.Ordinal));
        Assert.StartsWith("ok: 0 failed", result.StdoutLines[^1], StringComparison.Ordinal);
        Assert.DoesNotContain('\e', result.Stdout);
    }

    [Fact]
    public async Task Doctor_WithoutIp_ChecksTheHeloAddressAndWarnsAboutIt()
    {
        CliResult result = await CliProcess.RunAsync("doctor", "--domain", "sender.test", "--helo", "mx.a.test", "--dns", Dns, "--json");

        Assert.True(result.ExitCode == 0, result.ToString());
        using var json = JsonDocument.Parse(result.Stdout);
        Assert.Equal("127.0.0.1", json.RootElement.GetProperty("address").GetString());
        var ip = Assert.Single(Checks(json), c => c.Area == "IP");
        Assert.Equal("warn", ip.Status);
        Assert.Contains("--ip", ip.Summary, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("dr-nodmarc.test", "DMARC", "no DMARC record", "--ip", "127.0.0.1", "--helo", "mx.a.test")]
    [InlineData("dr-twospf.test", "SPF", "2 SPF records", "--ip", "127.0.0.1", "--helo", "mx.a.test")]
    [InlineData("dr-dkimb64.test", "DKIM", "not valid base64", "--ip", "127.0.0.1", "--helo", "mx.a.test", "--selector", "sel")]
    [InlineData("dr-ptr.test", "PTR", "does not forward-confirm", "--ip", "127.0.0.22", "--helo", "nofcrdns.dr-ptr.test")]
    public async Task Doctor_BrokenZone_ExitsOneAndNamesTheFailure(string domain, string area, string expected, params string[] options)
    {
        CliResult text = await CliProcess.RunAsync(["doctor", "--domain", domain, "--dns", Dns, .. options]);

        Assert.True(text.ExitCode == 1, text.ToString());
        Assert.Contains(text.StdoutLines, l => l.StartsWith($"FAIL  {area} ", StringComparison.Ordinal) && l.Contains(expected, StringComparison.Ordinal));
        Assert.StartsWith("NOT OK:", text.StdoutLines[^1], StringComparison.Ordinal);
        Assert.Contains("failed", text.Stderr, StringComparison.Ordinal);

        CliResult json = await CliProcess.RunAsync(["doctor", "--domain", domain, "--dns", Dns, "--json", .. options]);
        Assert.True(json.ExitCode == 1, json.ToString());
        using var document = JsonDocument.Parse(json.Stdout);
        Assert.False(document.RootElement.GetProperty("ok").GetBoolean());
        Assert.Contains(Checks(document), c => c.Area == area && c.Status == "fail" && c.Summary.Contains(expected, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("--ip", "doctor", "--domain", "sender.test", "--ip", "300.1.1.1", "--dns", Dns)]
    [InlineData("--ip", "doctor", "--domain", "sender.test", "--ip", "10", "--dns", Dns)]
    [InlineData("--key", "doctor", "--domain", "sender.test", "--ip", "127.0.0.1", "--selector", "s", "--key", "/nonexistent/key.pem", "--dns", Dns)]
    [InlineData("--key", "doctor", "--domain", "sender.test", "--ip", "127.0.0.1", "--selector", "s", "--key", "NOTPEM", "--dns", Dns)]
    [InlineData("--selector", "doctor", "--domain", "sender.test", "--ip", "127.0.0.1", "--key", "KEY", "--dns", Dns)]
    [InlineData("--dns", "doctor", "--domain", "sender.test", "--ip", "127.0.0.1", "--dns", "localhost")]
    [InlineData("--frobnicate", "doctor", "--domain", "sender.test", "--ip", "127.0.0.1", "--frobnicate", "--dns", Dns)]
    [InlineData("--domain", "doctor", "--domain", "not a domain", "--ip", "127.0.0.1", "--dns", Dns)]
    [InlineData("nohost.nosuch.test", "doctor", "--domain", "sender.test", "--helo", "nohost.nosuch.test", "--dns", Dns)]
    [InlineData("--ip", "dns", "records", "--domain", "sender.test")]
    [InlineData("--key", "dns", "records", "--domain", "sender.test", "--ip", "127.0.0.1", "--selector", "s")]
    [InlineData("--ip", "dns", "records", "--domain", "sender.test", "--ip", "1.2.3.4.5")]
    public async Task BadInput_ExitsTwoNamingTheOptionWithNothingOnStdout(string named, params string[] args)
    {
        args = [.. args.Select(a => a switch { "KEY" => CliTestKeys.Rsa, "NOTPEM" => Path.Combine(TestWorld.RepoRoot, "README.md"), _ => a })];

        CliResult result = await CliProcess.RunAsync(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(named, result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Theory]
    [InlineData("doctor")]
    [InlineData("dns", "records")]
    public async Task Help_ShowsAnExample(params string[] command)
    {
        CliResult result = await CliProcess.RunAsync([.. command, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains($"Example:", result.Stdout, StringComparison.Ordinal);
        Assert.Contains($"mailbroker {string.Join(' ', command)} --domain example.com --ip 192.0.2.10", result.Stdout, StringComparison.Ordinal);
    }

    private static List<(string Area, string Status, string Summary)> Checks(JsonDocument json) =>
        [.. json.RootElement.GetProperty("checks").EnumerateArray()
            .Select(c => (c.GetProperty("area").GetString()!, c.GetProperty("status").GetString()!, c.GetProperty("summary").GetString()!))];
}
