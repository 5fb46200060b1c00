using System.Buffers;
using System.Text;
using CsCheck;
using ModernMail.Smtp.Internal;
using Xunit;

namespace ModernMail.Tests.Smtp;

public class DotStufferTests
{
    public static TheoryData<string, string, int> Cases()
    {
        (string Input, string Expected)[] cases =
        [
            ("", ".\r\n"),
            ("Hello\r\n", "Hello\r\n.\r\n"),
            ("Hello", "Hello\r\n.\r\n"),
            (".\r\n", "..\r\n.\r\n"),
            ("a\r\n.b\r\n..c\r\n", "a\r\n..b\r\n...c\r\n.\r\n"),
            (".start\r\nmid.dle\r\n.", "..start\r\nmid.dle\r\n..\r\n.\r\n"),
            ("bare\nlf\n.dot\n", "bare\r\nlf\r\n..dot\r\n.\r\n"),
            ("cr\ronly\r\n", "cr\ronly\r\n.\r\n"),
            ("ends with cr\r", "ends with cr\r\n.\r\n"),
            ("\r\n\r\n.\r\n\r\n", "\r\n\r\n..\r\n\r\n.\r\n"),
            ("x\r\n.\r\n.\r\ny", "x\r\n..\r\n..\r\ny\r\n.\r\n"),
            ("Subject: ünïcödé\r\n\r\n.€\r\n", "Subject: ünïcödé\r\n\r\n..€\r\n.\r\n"),
        ];
        var data = new TheoryData<string, string, int>();
        foreach (var (input, expected) in cases)
        {
            foreach (int chunk in new[] { 1, 2, 3, 16, 4096 })
            {
                data.Add(input, expected, chunk);
            }
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encode_Chunked_MatchesExpected(string input, string expected, int chunkSize)
    {
        byte[] output = EncodeChunked(Encoding.UTF8.GetBytes(input), chunkSize, useFastPath: false, tinyDestination: false);
        Assert.Equal(expected, Encoding.UTF8.GetString(output));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encode_WithFastPath_MatchesExpected(string input, string expected, int chunkSize)
    {
        byte[] output = EncodeChunked(Encoding.UTF8.GetBytes(input), chunkSize, useFastPath: true, tinyDestination: false);
        Assert.Equal(expected, Encoding.UTF8.GetString(output));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Encode_TinyDestination_ResumesAfterDestinationTooSmall(string input, string expected, int chunkSize)
    {
        byte[] output = EncodeChunked(Encoding.UTF8.GetBytes(input), chunkSize, useFastPath: false, tinyDestination: true);
        Assert.Equal(expected, Encoding.UTF8.GetString(output));
    }

    [Fact]
    public void NeedsNoChange_CleanCrlfText_IsTrue()
    {
        var stuffer = new DotStuffer();
        Assert.True(stuffer.NeedsNoChange("Hello\r\nWorld.\r\n"u8));
        stuffer.Skip("Hello\r\nWorld.\r\n"u8);
        Assert.False(stuffer.NeedsNoChange(".next"u8));
        Assert.False(new DotStuffer().NeedsNoChange("a\nb"u8));
        Assert.False(new DotStuffer().NeedsNoChange("a\r\n.b"u8));
    }

    [Fact]
    public void Encode_RandomInput_AllChunkingsAgreeWithReference()
    {
        var gen = Gen.OneOfConst((byte)'.', (byte)'\r', (byte)'\n', (byte)'a', (byte)0xC3).Array[0, 200];
        gen.Sample(input =>
        {
            byte[] expected = Reference(input);
            foreach (int chunk in new[] { 1, 2, 3, 16, 4096 })
            {
                if (!EncodeChunked(input, chunk, useFastPath: true, tinyDestination: false).AsSpan().SequenceEqual(expected)
                    || !EncodeChunked(input, chunk, useFastPath: false, tinyDestination: chunk == 3).AsSpan().SequenceEqual(expected))
                {
                    return false;
                }
            }
            return true;
        }, iter: 2000);
    }

    /// <summary>An obviously correct whole-buffer implementation: normalise bare LF, double leading dots, terminate.</summary>
    private static byte[] Reference(byte[] input)
    {
        var output = new List<byte>();
        bool lineStart = true;
        for (int i = 0; i < input.Length; i++)
        {
            byte b = input[i];
            if (lineStart && b == '.')
            {
                output.Add((byte)'.');
            }
            if (b == '\n' && (i == 0 || input[i - 1] != '\r'))
            {
                output.Add((byte)'\r');
            }
            output.Add(b);
            lineStart = b == '\n';
        }
        if (!lineStart)
        {
            if (output.Count > 0 && output[^1] == '\r')
            {
                output.Add((byte)'\n');
            }
            else
            {
                output.AddRange("\r\n"u8.ToArray());
            }
        }
        output.AddRange(".\r\n"u8.ToArray());
        return output.ToArray();
    }

    private static byte[] EncodeChunked(byte[] input, int chunkSize, bool useFastPath, bool tinyDestination)
    {
        var stuffer = new DotStuffer();
        var output = new MemoryStream();
        byte[] destination = new byte[tinyDestination ? 5 : DotStuffer.GetMaxEncodedLength(Math.Min(chunkSize, input.Length + 1))];
        int offset = 0;
        while (true)
        {
            int length = Math.Min(chunkSize, input.Length - offset);
            bool isFinal = offset + length == input.Length;
            var chunk = input.AsSpan(offset, length);
            offset += length;
            if (useFastPath && !isFinal && stuffer.NeedsNoChange(chunk))
            {
                stuffer.Skip(chunk);
                output.Write(chunk);
                continue;
            }
            while (true)
            {
                var status = stuffer.Encode(chunk, destination, out int consumed, out int written, isFinal);
                output.Write(destination, 0, written);
                chunk = chunk[consumed..];
                if (status == OperationStatus.Done)
                {
                    break;
                }
                Assert.Equal(OperationStatus.DestinationTooSmall, status);
                Assert.True(consumed > 0 || written > 0 || destination.Length < 5, "no progress");
            }
            if (isFinal)
            {
                return output.ToArray();
            }
        }
    }
}
