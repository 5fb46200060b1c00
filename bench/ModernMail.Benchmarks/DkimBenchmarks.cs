using System.Text;
using BenchmarkDotNet.Attributes;
using MimeKit;
using MimeKit.Cryptography;
using ModernMail.Dkim;

namespace ModernMail.Benchmarks;

/// <summary>
/// DKIM signing: ours against MimeKit's DkimSigner (BouncyCastle) on the same message and key.
/// MimeKit gets the message already parsed (its API signs a MimeMessage); ours reads the raw bytes.
/// </summary>
[MemoryDiagnoser]
public class DkimBenchmarks
{
    private static readonly HeaderId[] s_mimeKitHeaders =
    [
        HeaderId.From, HeaderId.To, HeaderId.Cc, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId,
        HeaderId.MimeVersion, HeaderId.ContentType,
    ];

    private byte[] _raw = [];
    private MimeMessage _parsed = null!;
    private ModernMail.Dkim.DkimSigner _ours = null!;
    private MimeKit.Cryptography.DkimSigner _mimeKit = null!;

    [Params("short", "sample-70KB", "10MB")]
    public string Message { get; set; } = "short";

    [Params("rsa-2048", "ed25519")]
    public string Key { get; set; } = "rsa-2048";

    [GlobalSetup]
    public void Setup()
    {
        MimeMessage message = Message switch
        {
            "short" => Compose(0, "Hi Bob,\n\nLunch at noon?\n\nAlice\n"),
            "sample-70KB" => Compose(50 * 1024, Report(60)),
            _ => Compose(7 * 1024 * 1024 + 512 * 1024, Report(2000)),
        };
        using (var stream = new MemoryStream())
        {
            var options = FormatOptions.Default.Clone();
            options.NewLineFormat = NewLineFormat.Dos;
            message.WriteTo(options, stream);
            _raw = stream.ToArray();
        }

        _parsed = MimeMessage.Load(new MemoryStream(_raw));
        DkimKeyPair key = Key == "rsa-2048" ? DkimKeyPair.GenerateRsa(2048) : DkimKeyPair.GenerateEd25519();
        _ours = new ModernMail.Dkim.DkimSigner(key.ToConfig("sender.test", "bench"));
        _mimeKit = new MimeKit.Cryptography.DkimSigner(new MemoryStream(Encoding.ASCII.GetBytes(key.ExportPrivateKeyPem())), "sender.test", "bench",
            Key == "rsa-2048" ? DkimSignatureAlgorithm.RsaSha256 : DkimSignatureAlgorithm.Ed25519Sha256)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
        };
    }

    [GlobalCleanup]
    public void Cleanup() => _ours.Dispose();

    [Benchmark(Baseline = true)]
    public void MimeKit()
    {
        _mimeKit.Sign(_parsed, s_mimeKitHeaders);
        _parsed.Headers.RemoveAll(HeaderId.DkimSignature);
    }

    [Benchmark]
    public Task<string> ModernMail() => _ours.CreateSignatureAsync(new MemoryStream(_raw, writable: false));

    private static MimeMessage Compose(int attachmentBytes, string text)
    {
        var message = new MimeMessage();
        message.From.Add(new MailboxAddress("Alice Example", "alice@sender.test"));
        message.To.Add(new MailboxAddress("Bob", "bob@a.test"));
        message.Subject = "Quarterly report";
        message.Date = new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
        message.MessageId = "bench@sender.test";
        var body = new BodyBuilder { TextBody = text };
        if (attachmentBytes > 0)
        {
            body.HtmlBody = "<html><body><pre>" + text + "</pre></body></html>";
            byte[] data = new byte[attachmentBytes];
            new Random(42).NextBytes(data);
            body.Attachments.Add("report.bin", data, new ContentType("application", "octet-stream"));
        }

        message.Body = body.ToMessageBody();
        return message;
    }

    private static string Report(int lines) =>
        string.Join("\n", Enumerable.Range(1, lines).Select(i => $"Line {i}:  revenue\tup, costs  down, outlook stable.  "));
}
