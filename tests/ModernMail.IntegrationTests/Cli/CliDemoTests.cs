using MimeKit;
using Xunit;

namespace ModernMail.IntegrationTests.Cli;

/// <summary><c>mailbroker demo</c> end to end, and <c>--help</c> on every command.</summary>
public sealed class CliDemoTests : IDisposable
{
    private readonly CliTestFiles _files = new();

    [Fact]
    public async Task Demo_DeliversOverTlsAndVerifies_SavesOneEmlPerRecipient()
    {
        string directory = _files.PathFor("demo-out");

        CliResult result = await CliProcess.RunAsync("demo", "--out", directory);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("OK: 2/2 delivered, TLS Tls1", result.Stdout);
        Assert.Contains("4/4 DKIM signatures pass", result.Stdout);
        Assert.Contains(directory, result.Stdout);
        Assert.Equal(4, result.StdoutLines.Count(l => l.StartsWith("dkim=pass", StringComparison.Ordinal)));
        string[] files = [.. Directory.GetFiles(directory, "*.eml").Select(Path.GetFileName).Order()!];
        Assert.Equal(["bob@demo.test.eml", "john@demo.test.eml"], files);
        foreach (string file in files)
        {
            MimeMessage message = Eml.Load(Path.Combine(directory, file));
            Assert.Equal("Hello World!", message.Subject);
            Assert.Equal(2, message.Headers.Count(h => h.Field == "DKIM-Signature"));
            Assert.Contains("This is a test e-mail with a file attached.", Eml.Text(message));
            Assert.Contains("<div>Hello,</div>", Eml.Html(message));
            (string? name, byte[] image) = Eml.Attachment(message);
            Assert.Equal("pretty-image.png", name);
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A], image[..8]);
        }
    }

    [Theory]
    [InlineData]
    [InlineData("send")]
    [InlineData("render")]
    [InlineData("demo")]
    [InlineData("dkim")]
    [InlineData("dkim", "keygen")]
    [InlineData("dkim", "record")]
    public async Task Help_OnEveryCommand_ExitsZeroWithAnExample(params string[] command)
    {
        CliResult result = await CliProcess.RunAsync([.. command, "--help"]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("Example", result.Stdout);
        Assert.Contains("Usage:", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    public void Dispose() => _files.Dispose();
}
