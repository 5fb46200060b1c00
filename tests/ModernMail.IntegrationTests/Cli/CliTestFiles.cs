using System.Security.Cryptography;

namespace ModernMail.IntegrationTests.Cli;

/// <summary>A temporary directory with a text body, an HTML body and a binary attachment for the tool to read.</summary>
public sealed class CliTestFiles : IDisposable
{
    public const string TextBody = "Hello from the mailbroker CLI.\n.A line that starts with a dot.\nNon-ASCII: héllo wörld ✓\n";
    public const string HtmlBody = "<html><body><p>Hello from the <b>mailbroker</b> CLI.</p><p>héllo ✓</p></body></html>\n";

    public CliTestFiles()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("mailbroker-cli-tests-").FullName;
        TextPath = Path.Combine(Directory, "body.txt");
        HtmlPath = Path.Combine(Directory, "body.html");
        AttachmentPath = Path.Combine(Directory, "data.bin");
        AttachmentBytes = RandomNumberGenerator.GetBytes(50_000);
        File.WriteAllText(TextPath, TextBody);
        File.WriteAllText(HtmlPath, HtmlBody);
        File.WriteAllBytes(AttachmentPath, AttachmentBytes);
    }

    public string Directory { get; }

    public string TextPath { get; }

    public string HtmlPath { get; }

    public string AttachmentPath { get; }

    public byte[] AttachmentBytes { get; }

    public string PathFor(string name) => Path.Combine(Directory, name);

    public void Dispose() => System.IO.Directory.Delete(Directory, recursive: true);
}
