using System.Text;
using MimeKit;

namespace ModernMail.Tests.Dkim;

/// <summary>
/// Varied messages to sign: the .eml files under any tests/**/Dkim/Messages folder, tests/testdata/eml and the compose golden files
/// (drop more in), plus messages composed with MimeKit.
/// </summary>
internal static class DkimCorpus
{
    public static string RepositoryRoot
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "ModernMail.slnx")))
            {
                dir = dir.Parent;
            }

            return dir?.FullName ?? throw new InvalidOperationException("Cannot find the repository root (ModernMail.slnx) above " + AppContext.BaseDirectory);
        }
    }

    public static IEnumerable<string> EmlFiles()
    {
        string tests = Path.Combine(RepositoryRoot, "tests");
        var files = new List<string>();
        foreach (string dir in Directory.EnumerateDirectories(tests, "Messages", SearchOption.AllDirectories))
        {
            if (Path.GetFileName(Path.GetDirectoryName(dir)) == "Dkim" && !dir.Contains("/bin/") && !dir.Contains("/obj/"))
            {
                files.AddRange(Directory.EnumerateFiles(dir, "*.eml"));
            }
        }

        // The compose tests' golden files are the messages our writer produces: every one must sign and verify.
        foreach (string golden in new[] { Path.Combine(tests, "testdata", "eml"), Path.Combine(tests, "ModernMail.Tests", "Mime", "Golden") })
        {
            if (Directory.Exists(golden))
            {
                files.AddRange(Directory.EnumerateFiles(golden, "*.eml", SearchOption.AllDirectories));
            }
        }

        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>Every corpus message by name: file names relative to tests/, and "mimekit:..." for composed ones.</summary>
    public static IEnumerable<string> Names()
    {
        string tests = Path.Combine(RepositoryRoot, "tests");
        foreach (string file in EmlFiles())
        {
            yield return Path.GetRelativePath(tests, file);
        }

        foreach (string name in s_composed.Keys)
        {
            yield return name;
        }
    }

    public static byte[] Load(string name) =>
        s_composed.TryGetValue(name, out Func<byte[]>? make) ? make() : File.ReadAllBytes(Path.Combine(RepositoryRoot, "tests", name));

    private static readonly Dictionary<string, Func<byte[]>> s_composed = new()
    {
        ["mimekit:alternative-with-attachment"] = () => Write(AlternativeWithAttachment(50 * 1024)),
        ["mimekit:unicode-subject-8bit"] = () => Write(Unicode()),
        ["mimekit:only-text"] = () => Write(new MimeMessage(
            [new MailboxAddress("Sender", "sender@sender.test")], [new MailboxAddress("Rcpt", "rcpt@a.test")], "Only text",
            new TextPart("plain") { Text = "Just a line.\n\n\n" })),
    };

    public static MimeMessage AlternativeWithAttachment(int attachmentBytes)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice Example", "alice@sender.test"));
        message.To.Add(new MailboxAddress("Bob", "bob@a.test"));
        message.Cc.Add(new MailboxAddress("Carol", "carol@b.test"));
        message.Subject = "Quarterly report with a rather long subject line that needs folding when it is written out";
        message.Date = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        message.MessageId = "report-1@sender.test";
        message.Headers.Add("List-Unsubscribe", "<https://sender.test/unsubscribe/1>");
        message.Headers.Add("List-Unsubscribe-Post", "List-Unsubscribe=One-Click");
        var body = new BodyBuilder
        {
            TextBody = string.Join("\n", Enumerable.Range(1, 200).Select(i => $"Line {i} of the report.  Trailing space here ")),
            HtmlBody = "<html><body>" + string.Concat(Enumerable.Range(1, 200).Select(i => $"<p>Paragraph {i}</p>\n")) + "</body></html>",
        };
        byte[] data = new byte[attachmentBytes];
        new Random(42).NextBytes(data);
        body.Attachments.Add("report.bin", data, new ContentType("application", "octet-stream"));
        message.Body = body.ToMessageBody();
        return message;
    }

    private static MimeMessage Unicode()
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Zoë Łukasiewicz", "zoe@sender.test"));
        message.To.Add(new MailboxAddress("Jürgen", "juergen@a.test"));
        message.Subject = "Zamówienie #42 — potwierdzenie 🙂";
        message.Date = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        message.MessageId = "unicode-1@sender.test";
        message.Body = new TextPart("plain") { Text = "Dziękujemy!\n.leading dot\n..two dots\n\n" };
        return message;
    }

    public static byte[] Write(MimeMessage message)
    {
        using var stream = new MemoryStream();
        var options = FormatOptions.Default.Clone();
        options.NewLineFormat = NewLineFormat.Dos;
        message.WriteTo(options, stream);
        return stream.ToArray();
    }

    public static string Ascii(byte[] bytes) => Encoding.Latin1.GetString(bytes);
}
