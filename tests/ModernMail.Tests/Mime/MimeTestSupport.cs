using System.Buffers.Binary;
using System.IO.Compression;
using System.Net.Mail;
using System.Net.Mime;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Mime;
using Xunit;

namespace ModernMail.Tests.Mime;

/// <summary>Shared helpers for the compose tests: rendering, parsing back with MimeKit, wire checks, fixtures.</summary>
internal static class MimeTestSupport
{
    public static readonly DateTimeOffset FixedNow = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    public static MailWriterOptions DeterministicOptions(int seed = 42, bool allow8Bit = false) => new()
    {
        HostName = "mydomain.com",
        TimeProvider = new FakeTimeProvider(FixedNow),
        Random = new Random(seed),
        Allow8Bit = allow8Bit,
    };

    public static byte[] Render(MailMessage message, MailWriterOptions? options = null)
    {
        using var output = new MemoryStream();
        MailMessageWriter.WriteAsync(message, output, options ?? DeterministicOptions(), TestContext.Current.CancellationToken).GetAwaiter().GetResult();
        return output.ToArray();
    }

    public static async Task<byte[]> RenderAsync(MailMessage message, MailWriterOptions? options = null)
    {
        using var output = new MemoryStream();
        await MailMessageWriter.WriteAsync(message, output, options ?? DeterministicOptions(), TestContext.Current.CancellationToken);
        return output.ToArray();
    }

    public static MimeKit.MimeMessage Parse(byte[] raw)
    {
        using var input = new MemoryStream(raw);
        return MimeKit.MimeMessage.Load(input);
    }

    /// <summary>CRLF only, every line at most 998 octets, and 7-bit unless allowed.</summary>
    public static void AssertWireDiscipline(byte[] raw, bool allow8Bit = false)
    {
        int lineStart = 0;
        for (int i = 0; i < raw.Length; i++)
        {
            byte b = raw[i];
            if (b == (byte)'\r')
            {
                Assert.True(i + 1 < raw.Length && raw[i + 1] == (byte)'\n', $"bare CR at offset {i}");
            }
            else if (b == (byte)'\n')
            {
                Assert.True(i > 0 && raw[i - 1] == (byte)'\r', $"bare LF at offset {i}");
                Assert.True(i - 1 - lineStart <= 998, $"line of {i - 1 - lineStart} octets at offset {lineStart}");
                lineStart = i + 1;
            }
            else if (!allow8Bit)
            {
                Assert.True(b < 0x80, $"8-bit byte 0x{b:X2} at offset {i}");
            }

            Assert.NotEqual(0, b);
        }

        Assert.True(raw.Length - lineStart <= 998);
    }

    /// <summary>The header block of the top-level message (up to the first empty line), unfolded into fields.</summary>
    public static List<string> HeaderLines(byte[] raw)
    {
        string text = Encoding.UTF8.GetString(raw);
        int end = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        return [.. text[..end].Split("\r\n")];
    }

    /// <summary>The header lines of the message and of every body part (the lines after each "--=_" delimiter up to the blank line).</summary>
    public static List<string> AllHeaderLines(byte[] raw)
    {
        var result = new List<string>();
        bool inHeader = true;
        foreach (string line in Encoding.UTF8.GetString(raw).Split("\r\n"))
        {
            if (line.StartsWith("--=_", StringComparison.Ordinal))
            {
                inHeader = !line.EndsWith("--", StringComparison.Ordinal);
            }
            else if (line.Length == 0)
            {
                inHeader = false;
            }
            else if (inHeader)
            {
                result.Add(line);
            }
        }

        return result;
    }

    /// <summary>Every header line (top level and in parts) of at most 78 characters unless it has no fold point.</summary>
    public static void AssertHeaderLinesFolded(byte[] raw)
    {
        List<string> lines = AllHeaderLines(raw);
        Assert.True(lines.Count >= HeaderLines(raw).Count);
        foreach (string line in lines)
        {
            foreach (System.Text.RegularExpressions.Match word in System.Text.RegularExpressions.Regex.Matches(line, @"=\?[^?\s]+\?[QB]\?[^?\s]*\?="))
            {
                Assert.True(word.Length <= 75, $"encoded-word of {word.Length}: {word.Value}");
            }

            if (line.Length <= 78)
            {
                continue;
            }

            // A fold point is whitespace after the field name and first token; an overlong line may only hold one token.
            string body = line.TrimStart(' ', '\t');
            int colon = line.StartsWith(' ') || line.StartsWith('\t') ? -1 : body.IndexOf(':', StringComparison.Ordinal);
            string value = colon >= 0 ? body[(colon + 1)..].TrimStart(' ') : body;
            Assert.False(value.Contains(' ', StringComparison.Ordinal) && !value.StartsWith('"'), $"header line over 78 with a fold point: {line}");
        }
    }

    /// <summary>The documented replacement for display names and subjects (see <see cref="HostileText.ForDisplay"/>).</summary>
    public static string ForDisplay(string text) => HostileText.ForDisplay(text);

    /// <summary>A small valid PNG (deterministic gradient), built by hand so tests need no image files.</summary>
    public static byte[] Png(int width = 16, int height = 16)
    {
        using var png = new MemoryStream();
        png.Write([0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A]);
        Span<byte> ihdr = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr[4..], height);
        ihdr[8] = 8; // bit depth
        ihdr[9] = 2; // truecolour
        Chunk(png, "IHDR", ihdr);
        using var raw = new MemoryStream();
        for (int y = 0; y < height; y++)
        {
            raw.WriteByte(0); // filter: none
            for (int x = 0; x < width; x++)
            {
                raw.Write([(byte)(x * 255 / width), (byte)(y * 255 / height), 128]);
            }
        }

        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            z.Write(raw.ToArray());
        }

        Chunk(png, "IDAT", compressed.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();

        static void Chunk(Stream s, string type, ReadOnlySpan<byte> data)
        {
            Span<byte> length = stackalloc byte[4];
            BinaryPrimitives.WriteInt32BigEndian(length, data.Length);
            s.Write(length);
            byte[] typeAndData = [.. Encoding.ASCII.GetBytes(type), .. data];
            s.Write(typeAndData);
            BinaryPrimitives.WriteUInt32BigEndian(length, Crc32(typeAndData));
            s.Write(length);
        }
    }

    private static uint Crc32(ReadOnlySpan<byte> data)
    {
        uint crc = 0xFFFFFFFF;
        foreach (byte b in data)
        {
            crc ^= b;
            for (int k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320 : crc >> 1;
            }
        }

        return ~crc;
    }

    /// <summary>The sample from the seed article: HTML body, plain alternate view, PNG attachment.</summary>
    public static MailMessage SeedSample(byte[]? png = null)
    {
        var msg = new MailMessage
        {
            From = new MailAddress("admin@mydomain.com", "System Administrator"),
            Subject = "Hello World!",
            Body = "<div>Hello,</div><br><br>" +
                "<div>This is a test e-mail with a file attached.</div><br><br>" +
                "<div>Regards,</div><br><div>System Administrator</div>",
            IsBodyHtml = true,
        };
        msg.To.Add(new MailAddress("john@yahoo.com"));
        msg.CC.Add(new MailAddress("bob@outlook.com"));
        var plain = "Hello,\n\nThis is a test e-mail with a file attached.\n\n" +
            "Regards,\nSystem Administrator";
        msg.AlternateViews.Add(AlternateView.CreateAlternateViewFromString(plain, new ContentType("text/plain")));
        msg.Attachments.Add(new Attachment(new MemoryStream(png ?? Png()), "pretty-image.png", "image/png"));
        return msg;
    }

    /// <summary>Reads everything, without ever seeking: stands in for a network or pipe source.</summary>
    public sealed class NonSeekableStream(Stream inner) : Stream
    {
        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }

    /// <summary>A deterministic pseudo-random stream of <paramref name="length"/> bytes, generated on the fly.</summary>
    public sealed class GeneratedStream(long length, int seed) : Stream
    {
        private readonly Random _random = new(seed);
        private long _position;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));
        public override int Read(Span<byte> buffer)
        {
            int n = (int)Math.Min(buffer.Length, length - _position);
            _random.NextBytes(buffer[..n]);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
