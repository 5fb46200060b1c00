using System.Security.Cryptography;
using Xunit;

namespace ModernMail.IntegrationTests.Cli;

/// <summary>Invalid input: exit code 2, a message on stderr that names the problem, nothing on stdout, no connection made.</summary>
public sealed class CliUsageTests : IDisposable
{
    private readonly CliTestFiles _files = new();
    private readonly ConnectionTrap _trap = new();

    public static TheoryData<string> SendCases =>
    [
        "unknown-option", "missing-from", "malformed-from", "malformed-to", "malformed-cc", "no-recipient",
        "unreadable-attachment", "unreadable-text", "missing-key", "not-pem-key", "malformed-key", "short-rsa-key",
        "dkim-group-mismatch", "bad-dkim-domain", "bad-dns", "bad-route", "bad-port", "bad-header", "bad-tls", "bad-helo",
    ];

    [Theory]
    [MemberData(nameof(SendCases))]
    public async Task Send_InvalidInput_ExitsTwoNamesTheProblemAndSendsNothing(string name)
    {
        (List<string> args, string[] expected) = SendCase(name);

        CliResult result = await CliProcess.RunAsync([.. args]);

        Assert.True(result.ExitCode == 2, result.ToString());
        foreach (string text in expected)
        {
            Assert.Contains(text, result.Stderr, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Equal("", result.Stdout);
        await Task.Delay(100, TestContext.Current.CancellationToken); // let a connection attempt, if one were made, reach the trap
        Assert.Equal(0, _trap.Connections);
    }

    [Fact]
    public async Task Render_MalformedKey_ExitsTwoAndWritesNoMessage()
    {
        string key = WriteFile("bad.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
        string output = _files.PathFor("out.eml");

        CliResult result = await CliProcess.RunAsync(
            "render", "--from", "me@sender.test", "--to", "x@a.test", "--text", _files.TextPath,
            "--dkim-domain", "sender.test", "--dkim-selector", "s1", "--dkim-key", key, "--out", output);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(key, result.Stderr);
        Assert.Equal("", result.Stdout);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData("bits", "--bits")]
    [InlineData("algorithm", "dsa")]
    [InlineData("exists", "already exists")]
    [InlineData("domain", "domain")]
    public async Task DkimKeygen_InvalidInput_ExitsTwo(string name, string expected)
    {
        string output = _files.PathFor("new.pem");
        string[] args = name switch
        {
            "bits" => ["dkim", "keygen", "--domain", "example.com", "--selector", "s1", "--bits", "512", "--out", output],
            "algorithm" => ["dkim", "keygen", "--domain", "example.com", "--selector", "s1", "--algorithm", "dsa", "--out", output],
            "exists" => ["dkim", "keygen", "--domain", "example.com", "--selector", "s1", "--out", WriteFile("taken.pem", "keep me")],
            _ => ["dkim", "keygen", "--domain", "exa mple..com", "--selector", "s1", "--out", output],
        };

        CliResult result = await CliProcess.RunAsync(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(expected, result.Stderr, StringComparison.OrdinalIgnoreCase);
        Assert.False(File.Exists(output));
        if (name == "exists")
        {
            Assert.Equal("keep me", File.ReadAllText(_files.PathFor("taken.pem")));
        }
    }

    [Fact]
    public async Task DkimRecord_MissingKeyFile_ExitsTwoNamingTheFile()
    {
        string missing = _files.PathFor("nope.pem");

        CliResult result = await CliProcess.RunAsync("dkim", "record", "--domain", "example.com", "--selector", "s1", "--key", missing);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(missing, result.Stderr);
    }

    [Theory]
    [InlineData("frobnicate")]
    [InlineData("dkim", "rotate")]
    public async Task UnknownCommand_ExitsTwo(params string[] args)
    {
        CliResult result = await CliProcess.RunAsync(args);

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains(args[^1], result.Stderr);
    }

    public void Dispose()
    {
        _trap.Dispose();
        _files.Dispose();
    }

    private (List<string> Args, string[] Expected) SendCase(string name)
    {
        var args = new List<string>
        {
            "send", "--from", "Sender <me@sender.test>", "--to", "x@a.test", "--subject", "usage test", "--text", _files.TextPath,
            "--route", _trap.SmartHostRoute, "--tls", "disabled",
        };
        string missing = _files.PathFor("missing.file");
        switch (name)
        {
            case "unknown-option":
                args.AddRange(["--frm", "x@a.test"]);
                return (args, ["--frm"]);
            case "missing-from":
                args.RemoveRange(1, 2);
                return (args, ["--from", "required"]);
            case "malformed-from":
                args[2] = "Joe <joe@>";
                return (args, ["--from", "Joe <joe@>"]);
            case "malformed-to":
                args[4] = "not an address";
                return (args, ["--to", "not an address"]);
            case "malformed-cc":
                args.AddRange(["--cc", "bob@@b.test"]);
                return (args, ["--cc", "bob@@b.test"]);
            case "no-recipient":
                args.RemoveRange(3, 2);
                return (args, ["recipient", "--to"]);
            case "unreadable-attachment":
                args.AddRange(["--attach", missing]);
                return (args, ["--attach", missing]);
            case "unreadable-text":
                args[8] = missing;
                return (args, ["--text", missing]);
            case "missing-key":
                args.AddRange(Dkim(missing));
                return (args, ["--dkim-key", missing]);
            case "not-pem-key":
                args.AddRange(Dkim(WriteFile("text.pem", "this is not a key")));
                return (args, ["--dkim-key", "not valid PEM"]);
            case "malformed-key":
                args.AddRange(Dkim(WriteFile("bad.pem", "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n")));
                return (args, ["--dkim-key", "PKCS#8"]);
            case "short-rsa-key":
                using (RSA rsa = RSA.Create(512))
                {
                    args.AddRange(Dkim(WriteFile("short.pem", rsa.ExportPkcs8PrivateKeyPem())));
                }

                return (args, ["--dkim-key", "512 bits"]);
            case "dkim-group-mismatch":
                args.AddRange(["--dkim-domain", "sender.test", "--dkim-key", CliTestKeys.Rsa]);
                return (args, ["--dkim-selector", "same number"]);
            case "bad-dkim-domain":
                args.AddRange(["--dkim-domain", "sender test", "--dkim-selector", "rsa2048", "--dkim-key", CliTestKeys.Rsa]);
                return (args, ["--dkim-key", "domain"]);
            case "bad-dns":
                args.AddRange(["--dns", "dns.example"]);
                return (args, ["--dns", "dns.example"]);
            case "bad-route":
                args.AddRange(["--route", "a.test"]);
                return (args, ["--route", "DOMAIN=HOST"]);
            case "bad-port":
                args.AddRange(["--port", "70000"]);
                return (args, ["--port", "70000"]);
            case "bad-header":
                args.AddRange(["--header", "X-No-Colon"]);
                return (args, ["--header", "X-No-Colon"]);
            case "bad-tls":
                args[12] = "sometimes";
                return (args, ["sometimes"]);
            case "bad-helo":
                args.AddRange(["--helo", "bad host name"]);
                return (args, ["--helo", "bad host name"]);
            default:
                throw new ArgumentOutOfRangeException(nameof(name), name, "unknown case");
        }
    }

    private static string[] Dkim(string keyPath) => ["--dkim-domain", "sender.test", "--dkim-selector", "rsa2048", "--dkim-key", keyPath];

    private string WriteFile(string name, string text)
    {
        string path = _files.PathFor(name);
        File.WriteAllText(path, text);
        return path;
    }
}
