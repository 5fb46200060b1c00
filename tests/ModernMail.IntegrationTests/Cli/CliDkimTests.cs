using Xunit;
namespace ModernMail.IntegrationTests.Cli;

/// <summary><c>mailbroker dkim keygen|record</c>: a key that signs, and the record that lets dkimpy verify it.</summary>
public sealed class CliDkimTests : IDisposable
{
    private readonly CliTestFiles _files = new();

    [Theory]
    [InlineData("rsa", "k=rsa", 2048)]
    [InlineData("rsa", "k=rsa", 1024)]
    [InlineData("ed25519", "k=ed25519", 0)]
    public async Task Keygen_ThenRecordThenSign_VerifiesWithThePrintedRecord(string algorithm, string keyTag, int bits)
    {
        string key = _files.PathFor($"{algorithm}{bits}.pem");
        string[] args = ["dkim", "keygen", "--domain", "example.com", "--selector", "sel1", "--algorithm", algorithm, "--out", key];
        if (bits != 0)
        {
            args = [.. args, "--bits", bits.ToString(System.Globalization.CultureInfo.InvariantCulture)];
        }

        CliResult keygen = await CliProcess.RunAsync(args);

        Assert.True(keygen.ExitCode == 0, keygen.ToString());
        Assert.Contains("-----BEGIN PRIVATE KEY-----", File.ReadAllText(key));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(key));
        }
        Assert.Contains(key, keygen.Stderr);
        (string name, string value) = ParseRecord(keygen.Stdout);
        Assert.Equal("sel1._domainkey.example.com", name);
        Assert.StartsWith($"v=DKIM1; {keyTag}; p=", value);
        Assert.Contains("sel1._domainkey.example.com. IN TXT", keygen.Stdout);

        CliResult record = await CliProcess.RunAsync("dkim", "record", "--domain", "example.com", "--selector", "sel1", "--key", key);
        Assert.True(record.ExitCode == 0, record.ToString());
        Assert.Equal(keygen.Stdout, record.Stdout);

        CliResult render = await CliProcess.RunAsync(
            "render", "--from", "me@example.com", "--to", "you@example.net", "--subject", "keygen", "--text", _files.TextPath,
            "--dkim-domain", "example.com", "--dkim-selector", "sel1", "--dkim-key", key);
        Assert.True(render.ExitCode == 0, render.ToString());
        Assert.Equal(["pass"], await DkimPy.VerifyAsync(render.StdoutBytes, [(name, value)]));

        // A record for another key does not verify the signature.
        string other = _files.PathFor("other.pem");
        CliResult otherKey = await CliProcess.RunAsync("dkim", "keygen", "--domain", "example.com", "--selector", "sel1", "--algorithm", algorithm, "--out", other);
        Assert.Equal(["fail"], await DkimPy.VerifyAsync(render.StdoutBytes, [ParseRecord(otherKey.Stdout)]));
    }

    [Fact]
    public async Task Record_ForTheCommittedTestKey_MatchesWhatTheTestWorldPublishes()
    {
        CliResult record = await CliProcess.RunAsync("dkim", "record", "--domain", "sender.test", "--selector", "rsa2048", "--key", CliTestKeys.Rsa);

        Assert.True(record.ExitCode == 0, record.ToString());
        Assert.Equal(DkimPy.TestKeyRecords()[0].Value, ParseRecord(record.Stdout).Value);
    }

    [Fact]
    public async Task Keygen_Force_OverwritesAnExistingFile()
    {
        string key = _files.PathFor("again.pem");
        File.WriteAllText(key, "old");

        CliResult result = await CliProcess.RunAsync("dkim", "keygen", "--domain", "example.com", "--selector", "s", "--algorithm", "ed25519", "--out", key, "--force");

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", File.ReadAllText(key));
    }

    public void Dispose() => _files.Dispose();

    private static (string Name, string Value) ParseRecord(string stdout)
    {
        string[] lines = stdout.Split('\n', StringSplitOptions.TrimEntries);
        string name = lines.Single(l => l.StartsWith("Name:", StringComparison.Ordinal))["Name:".Length..].Trim();
        string value = lines.Single(l => l.StartsWith("Value:", StringComparison.Ordinal))["Value:".Length..].Trim();
        return (name, value);
    }
}
