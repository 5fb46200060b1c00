using System.Net.Mail;
using System.Net.Mime;
using BenchmarkDotNet.Attributes;
using MimeKit;
using ModernMail.Mime;

namespace ModernMail.Benchmarks;

/// <summary>Composing a MailMessage to bytes: our streaming writer against MimeKit's conversion and writer.</summary>
[MemoryDiagnoser]
public class ComposeBenchmarks
{
    private MailMessage _message = null!;
    private MailWriterOptions _options = null!;
    private readonly FormatOptions _mimeKitFormat = new() { NewLineFormat = NewLineFormat.Dos };

    /// <summary>Short: a few lines of plain text. Seed: the seed article's sample with a 50 KB PNG. Attachment10MB: one 10 MB attachment.</summary>
    [Params("Short", "Seed50KB", "Attachment10MB")]
    public string Scenario { get; set; } = "Short";

    [GlobalSetup]
    public void Setup()
    {
        _options = new MailWriterOptions { HostName = "mydomain.com", Random = new Random(1) };
        _message = Scenario switch
        {
            "Short" => new MailMessage("alice@example.com", "bob@example.org", "Lunch?", "Hi Bob,\n\nLunch at noon?\n\nAlice\n"),
            "Seed50KB" => SeedSample(RandomBytes(50 * 1024)),
            "Attachment10MB" => WithAttachment(RandomBytes(10 * 1024 * 1024)),
            _ => throw new InvalidOperationException(Scenario),
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _message.Dispose();

    [Benchmark(Baseline = true)]
    public void MimeKit()
    {
        Rewind();
        using MimeMessage mime = MimeMessage.CreateFromMailMessage(_message);
        mime.WriteTo(_mimeKitFormat, Stream.Null);
    }

    [Benchmark]
    public Task ModernMail() => MailMessageWriter.WriteAsync(_message, Stream.Null, _options);

    // MimeKit copies content from the current position; ours rewinds seekable streams itself.
    private void Rewind()
    {
        foreach (AlternateView view in _message.AlternateViews)
        {
            view.ContentStream.Position = 0;
        }

        foreach (System.Net.Mail.Attachment attachment in _message.Attachments)
        {
            attachment.ContentStream.Position = 0;
        }
    }

    private static byte[] RandomBytes(int length)
    {
        byte[] bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    private static MailMessage SeedSample(byte[] png)
    {
        var msg = new MailMessage
        {
            From = new MailAddress("admin@mydomain.com", "System Administrator"),
            Subject = "Hello World!",
            Body = "<div>Hello,</div><br><br><div>This is a test e-mail with a file attached.</div><br><br>" +
                "<div>Regards,</div><br><div>System Administrator</div>",
            IsBodyHtml = true,
        };
        msg.To.Add("john@yahoo.com");
        msg.CC.Add("bob@outlook.com");
        msg.AlternateViews.Add(AlternateView.CreateAlternateViewFromString(
            "Hello,\n\nThis is a test e-mail with a file attached.\n\nRegards,\nSystem Administrator", new System.Net.Mime.ContentType("text/plain")));
        msg.Attachments.Add(new System.Net.Mail.Attachment(new MemoryStream(png), "pretty-image.png", MediaTypeNames.Image.Png));
        return msg;
    }

    private static MailMessage WithAttachment(byte[] data)
    {
        var msg = new MailMessage("alice@example.com", "bob@example.org", "Big file", "See attached.");
        msg.Attachments.Add(new System.Net.Mail.Attachment(new MemoryStream(data), "big.bin", MediaTypeNames.Application.Octet));
        return msg;
    }
}
