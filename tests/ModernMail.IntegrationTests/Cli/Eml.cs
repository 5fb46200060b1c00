using MimeKit;
using Xunit;

namespace ModernMail.IntegrationTests.Cli;

/// <summary>MimeKit parsing for the CLI tests, with the test's cancellation token.</summary>
public static class Eml
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public static MimeMessage Load(string path) => MimeMessage.Load(path, Token);

    public static MimeMessage Parse(byte[] raw) => MimeMessage.Load(new MemoryStream(raw), Token);

    public static string Text(MimeMessage message) => (message.TextBody ?? "").Replace("\r\n", "\n", StringComparison.Ordinal);

    public static string Html(MimeMessage message) => (message.HtmlBody ?? "").Replace("\r\n", "\n", StringComparison.Ordinal);

    /// <summary>The single attachment's name and decoded bytes.</summary>
    public static (string? Name, byte[] Bytes) Attachment(MimeMessage message)
    {
        MimePart part = message.Attachments.OfType<MimePart>().Single();
        using var bytes = new MemoryStream();
        part.Content!.DecodeTo(bytes, Token); // MimeKit sets Content on every parsed leaf part.
        return (part.FileName, bytes.ToArray());
    }
}
