using MimeKit;
using ModernMail.Dkim;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Cli;

/// <summary><c>mailbroker render</c>: the exact signed bytes, checked by dkimpy and parsed by MimeKit; nothing sent.</summary>
public sealed class CliRenderTests : IDisposable
{
    private readonly CliTestFiles _files = new();

    [Fact]
    public async Task Render_ToStdout_IsASignedMessageThatDkimpyVerifiesAndMimeKitParses()
    {
        CliResult result = await CliProcess.RunAsync(
        [
            "render", "--from", "Render Test <me@sender.test>", "--to", "alice@a.test", "--cc", "bob@b.test", "--bcc", "hidden@a.test",
            "--subject", "Rendered ✓", "--text", _files.TextPath, "--html", _files.HtmlPath, "--attach", _files.AttachmentPath,
            .. CliTestKeys.BothSignatures,
        ]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stderr);
        byte[] raw = result.StdoutBytes;
        Assert.StartsWith("DKIM-Signature: v=1; a=ed25519-sha256;", result.Stdout);
        AssertCrlfOnly(raw);
        Assert.Equal(["pass", "pass"], await DkimPy.VerifyAsync(raw, DkimPy.TestKeyRecords()));

        MimeMessage message = Eml.Parse(raw);
        Assert.Equal("Rendered ✓", message.Subject);
        Assert.Equal(["alice@a.test"], message.To.Mailboxes.Select(m => m.Address));
        Assert.Equal(["bob@b.test"], message.Cc.Mailboxes.Select(m => m.Address));
        Assert.Empty(message.Bcc);
        Assert.DoesNotContain("hidden@a.test", result.Stdout);
        Assert.Equal(CliTestFiles.TextBody, Eml.Text(message));
        Assert.Equal(CliTestFiles.HtmlBody, Eml.Html(message));
        var mixed = Assert.IsType<Multipart>(message.Body);
        var alternative = Assert.IsType<MultipartAlternative>(mixed[0]);
        Assert.Equal(["text/plain", "text/html"], alternative.Select(p => p.ContentType.MimeType));
        (string? name, byte[] attachment) = Eml.Attachment(message);
        Assert.Equal("data.bin", name);
        Assert.Equal(_files.AttachmentBytes, attachment);
    }

    [Fact]
    public async Task Render_TamperedAfterSigning_FailsDkimpy()
    {
        CliResult result = await CliProcess.RunAsync(
            ["render", "--from", "me@sender.test", "--to", "alice@a.test", "--subject", "original", "--text", _files.TextPath, .. CliTestKeys.BothSignatures]);
        Assert.True(result.ExitCode == 0, result.ToString());

        byte[] tampered = System.Text.Encoding.UTF8.GetBytes(result.Stdout.Replace("Subject: original", "Subject: 0riginal", StringComparison.Ordinal));

        Assert.Equal(["fail", "fail"], await DkimPy.VerifyAsync(tampered, DkimPy.TestKeyRecords()));
    }

    [Fact]
    public async Task Render_ToFile_WritesTheMessageAndSaysWhere()
    {
        string output = _files.PathFor("rendered.eml");

        CliResult result = await CliProcess.RunAsync(
        [
            "render", "--from", "me@sender.test", "--to", "alice@a.test", "--subject", "to a file", "--text", _files.TextPath,
            "--dkim-domain", TestWorld.SenderDomain, "--dkim-selector", TestWorld.RsaSelector, "--dkim-key", CliTestKeys.Rsa, "--out", output,
        ]);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("", result.Stdout);
        Assert.Contains(output, result.Stderr);
        byte[] raw = await File.ReadAllBytesAsync(output, TestContext.Current.CancellationToken);
        Assert.Equal(["pass"], await DkimPy.VerifyAsync(raw, DkimPy.TestKeyRecords()));

        // The library's own verifier agrees with dkimpy.
        var verifier = new DkimVerifier(new FixedDkimKeyResolver([.. DkimPy.TestKeyRecords()]));
        Assert.Equal(DkimSignatureStatus.Pass, Assert.Single(await verifier.VerifyAsync(raw, TestContext.Current.CancellationToken)).Status);
        Assert.Equal("to a file", Eml.Load(output).Subject);
    }

    [Fact]
    public async Task Render_Unsigned_HasNoSignatureAndNeedsNoRecipient()
    {
        CliResult result = await CliProcess.RunAsync("render", "--from", "me@sender.test", "--subject", "draft", "--text", _files.TextPath);

        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.DoesNotContain("DKIM-Signature", result.Stdout);
        Assert.Equal("draft", Eml.Parse(result.StdoutBytes).Subject);
    }

    public void Dispose() => _files.Dispose();

    private static void AssertCrlfOnly(byte[] raw)
    {
        for (int i = 0; i < raw.Length; i++)
        {
            if (raw[i] == (byte)'\n')
            {
                Assert.True(i > 0 && raw[i - 1] == (byte)'\r', $"bare LF at offset {i}");
            }
        }
    }
}
