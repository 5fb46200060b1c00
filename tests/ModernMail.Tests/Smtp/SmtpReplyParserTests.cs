using System.Buffers;
using System.Text;
using CsCheck;
using ModernMail.Smtp;
using ModernMail.Smtp.Internal;
using ModernMail.Tests.Internal;
using Xunit;

namespace ModernMail.Tests.Smtp;

public class SmtpReplyParserTests
{
    public static TheoryData<string, int> Transcripts()
    {
        var data = new TheoryData<string, int>();
        foreach (string file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Smtp", "Transcripts"), "*.txt"))
        {
            foreach (int chunk in new[] { int.MaxValue, -1, 1 })
            {
                data.Add(Path.GetFileName(file), chunk);
            }
        }
        return data;
    }

    /// <summary>Feeds the server side of a transcript all at once (MaxValue), line by line (-1) or byte by byte (1).</summary>
    [Theory]
    [MemberData(nameof(Transcripts))]
    public void TryParse_Transcript_YieldsExpectedReplies(string file, int chunkSize)
    {
        string[] lines = File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Smtp", "Transcripts", file));
        int[] expected = lines[0]["# expect:".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToArray();
        var serverLines = lines.Where(l => l.StartsWith("S: ", StringComparison.Ordinal)).Select(l => l[3..] + "\r\n").ToList();
        byte[] all = Encoding.UTF8.GetBytes(string.Concat(serverLines));
        IEnumerable<byte[]> chunks = chunkSize switch
        {
            -1 => serverLines.Select(Encoding.UTF8.GetBytes),
            int.MaxValue => [all],
            _ => all.Chunk(chunkSize),
        };

        var replies = ParseAll(chunks, out int leftover);

        Assert.Equal(0, leftover);
        Assert.Equal(expected, replies.Select(r => r.Code).ToArray());
    }

    [Fact]
    public void TryParse_PostfixEhlo_ReadsAllLinesAndCapabilities()
    {
        var reply = ParseOne("250-mx.example.net\r\n250-PIPELINING\r\n250-SIZE 52428800\r\n250-STARTTLS\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n");

        Assert.Equal(250, reply.Code);
        Assert.Equal(["mx.example.net", "PIPELINING", "SIZE 52428800", "STARTTLS", "8BITMIME", "SMTPUTF8"], reply.Lines);
        var caps = SmtpCapabilities.Parse(reply.Lines);
        Assert.True(caps.Pipelining);
        Assert.True(caps.StartTls);
        Assert.True(caps.EightBitMime);
        Assert.True(caps.SmtpUtf8);
        Assert.Equal(52428800, caps.MaxSize);
    }

    [Fact]
    public void TryParse_EnhancedCode_IsSplitFromText()
    {
        var reply = ParseOne("550-5.1.1 <x@example.net>: Recipient address rejected:\r\n550 5.1.1 User unknown\r\n");

        Assert.Equal(550, reply.Code);
        Assert.Equal(new EnhancedStatusCode(5, 1, 1), reply.Enhanced);
        Assert.Equal(["<x@example.net>: Recipient address rejected:", "User unknown"], reply.Lines);
        Assert.True(reply.IsPermanent);
    }

    [Fact]
    public void TryParse_EnhancedCodeOfOtherClass_IsText()
    {
        var reply = ParseOne("250 5.1.1 odd\r\n");

        Assert.Null(reply.Enhanced);
        Assert.Equal("5.1.1 odd", reply.Text);
    }

    [Fact]
    public void TryParse_CodeOnly_IsAccepted()
    {
        var reply = ParseOne("250\r\n");
        Assert.Equal(250, reply.Code);
        Assert.Equal([""], reply.Lines);
    }

    [Fact]
    public void TryParse_BareLf_IsAccepted()
    {
        var reply = ParseOne("220 hi\n");
        Assert.Equal("hi", reply.Text);
    }

    [Theory]
    [InlineData("hello there\r\n")]
    [InlineData("2x0 nope\r\n")]
    [InlineData("250x nope\r\n")]
    [InlineData("650 out of range\r\n")]
    [InlineData("25\r\n")]
    [InlineData("250-first\r\n251 second\r\n")]
    public void TryParse_Malformed_IsInvalidData(string text)
    {
        var status = SmtpReplyParser.TryParse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)), out _, out _, out string? error);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.False(string.IsNullOrEmpty(error));
    }

    [Fact]
    public void TryParse_LineOverLimit_IsInvalidDataEvenWithoutLineEnd()
    {
        byte[] bytes = Encoding.ASCII.GetBytes("250 " + new string('x', SmtpReplyParser.MaxLineLength));

        var status = SmtpReplyParser.TryParse(new ReadOnlySequence<byte>(bytes), out _, out _, out string? error);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Contains("longer than", error);
    }

    [Fact]
    public void TryParse_LongLineJustUnderLimit_IsAccepted()
    {
        string text = "250 " + new string('x', SmtpReplyParser.MaxLineLength - 6) + "\r\n";
        Assert.Equal(SmtpReplyParser.MaxLineLength, text.Length);
        Assert.Equal(250, ParseOne(text).Code);
    }

    [Fact]
    public void TryParse_TooManyLines_IsInvalidData()
    {
        string text = string.Concat(Enumerable.Repeat("250-x\r\n", SmtpReplyParser.MaxLines)) + "250 end\r\n";

        var status = SmtpReplyParser.TryParse(new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes(text)), out _, out _, out string? error);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Contains("lines", error);
    }

    [Fact]
    public void TryParse_Incomplete_NeedsMoreDataAndConsumesNothing()
    {
        var buffer = new ReadOnlySequence<byte>(Encoding.ASCII.GetBytes("250-first\r\n250 sec"));

        var status = SmtpReplyParser.TryParse(buffer, out var consumed, out var reply, out _);

        Assert.Equal(OperationStatus.NeedMoreData, status);
        Assert.Null(reply);
        Assert.Equal(buffer.Start, consumed);
    }

    [Fact]
    public void TryParse_RandomBytes_NeverThrows()
    {
        Gen.Byte.Array[0, 600].Sample(bytes =>
        {
            var status = SmtpReplyParser.TryParse(new ReadOnlySequence<byte>(bytes), out _, out var reply, out _);
            return status != OperationStatus.Done || reply is { Code: >= 200 and < 600 };
        }, iter: 5000);
    }

    [Fact]
    public void TryParse_ControlCharactersInText_AreEscapedAndRawBytesKept()
    {
        byte[] bytes = [
            .. Encoding.UTF8.GetBytes("550-5.1.1 <x@a.test>\u001b]0;owned\u0007 nul\0 cr\r here\r\n"),
            .. Encoding.UTF8.GetBytes("550 5.1.1 nel\u0085 csi\u009b2J rlo\u202Eexe.txt ls\u2028end "),
            0xFF, (byte)'\r', (byte)'\n'];

        var status = SmtpReplyParser.TryParse(new ReadOnlySequence<byte>(bytes), out _, out var reply, out _);

        Assert.Equal(OperationStatus.Done, status);
        Assert.Equal(new EnhancedStatusCode(5, 1, 1), reply!.Enhanced);
        Assert.Equal(
            ["<x@a.test>\\x1B]0;owned\\x07 nul\\x00 cr\\x0D here", "nel\\x85 csi\\x9B2J rlo\\u{202E}exe.txt ls\\u{2028}end \uFFFD"],
            reply.Lines);
        Assert.Equal("550 5.1.1 " + string.Join(' ', reply.Lines), reply.ToString());
        Assert.Equal(bytes, reply.RawBytes.ToArray());
    }

    [Fact]
    public void TryParse_MalformedLineWithControls_ErrorQuotesThemEscaped()
    {
        var status = SmtpReplyParser.TryParse(new ReadOnlySequence<byte>("\u001b[31mnot smtp\r\n"u8.ToArray()), out _, out _, out string? error);

        Assert.Equal(OperationStatus.InvalidData, status);
        Assert.Equal("malformed reply line \"\\x1B[31mnot smtp\"", error);
    }

    [Fact]
    public void TryParse_AnyTextBytes_TextIsPrintableAndRawIsExact()
    {
        Gen.Byte.Select(b => b == (byte)'\n' ? (byte)'\r' : b).Array[0, 200].Sample(text =>
        {
            byte[] bytes = [.. "451 4.3.0 "u8, .. text, (byte)'\r', (byte)'\n'];
            var status = SmtpReplyParser.TryParse(new ReadOnlySequence<byte>(bytes), out _, out var reply, out _);
            Assert.Equal(OperationStatus.Done, status);
            Assert.Equal(bytes, reply!.RawBytes.ToArray());
            foreach (string shown in new[] { reply.Text, reply.ToString() })
            {
                Assert.True(Printable.IsSafe(shown), shown);
            }
        }, iter: 3000);
    }

    [Fact]
    public void Constructor_LinesWithControls_AreEscapedAndCopied()
    {
        var lines = new List<string> { "ok\u001b[2J" };
        var reply = new SmtpReply(250, null, lines);
        lines[0] = "\u001b[2J";

        Assert.Equal("250 ok\\x1B[2J", reply.ToString());
        Assert.True(reply.RawBytes.IsEmpty);
    }

    private static SmtpReply ParseOne(string text)
    {
        var replies = ParseAll([Encoding.UTF8.GetBytes(text)], out int leftover);
        Assert.Equal(0, leftover);
        return Assert.Single(replies);
    }

    /// <summary>Mimics the pipe: append each chunk, parse as many replies as are complete, keep the rest.</summary>
    internal static List<SmtpReply> ParseAll(IEnumerable<byte[]> chunks, out int leftover)
    {
        var replies = new List<SmtpReply>();
        var pending = new List<byte[]>();
        foreach (byte[] chunk in chunks)
        {
            pending.Add(chunk);
            while (true)
            {
                var sequence = Segments.Create(pending);
                var status = SmtpReplyParser.TryParse(sequence, out var consumed, out var reply, out string? error);
                Assert.NotEqual(OperationStatus.InvalidData, status);
                if (status != OperationStatus.Done)
                {
                    break;
                }
                replies.Add(reply!);
                byte[] rest = sequence.Slice(consumed).ToArray();
                pending.Clear();
                if (rest.Length > 0)
                {
                    pending.Add(rest);
                }
            }
        }
        leftover = pending.Sum(p => p.Length);
        return replies;
    }
}
