using System.Buffers;
using System.Text;
using CsCheck;
using ModernMail.Mime.Internal;
using Xunit;

namespace ModernMail.Tests.Mime;

public class EncoderTests
{
    public static TheoryData<int> ChunkSizes => [1, 2, 3, 16, 4096];

    /// <summary>Feeds <paramref name="input"/> in chunks of <paramref name="chunk"/> bytes into destinations of the same size (at least the minimum).</summary>
    internal static byte[] Run(IStreamingEncoder encoder, byte[] input, int chunk)
    {
        var output = new List<byte>();
        byte[] destination = new byte[Math.Clamp(chunk, IStreamingEncoder.MinimumDestinationLength, 4096)];
        int position = 0;
        while (true)
        {
            int n = Math.Min(chunk, input.Length - position);
            bool isFinal = position + n == input.Length;
            ReadOnlySpan<byte> source = input.AsSpan(position, n);
            while (true)
            {
                OperationStatus status = encoder.Encode(source, destination, out int consumed, out int written, isFinal);
                output.AddRange(destination.AsSpan(0, written).ToArray());
                source = source[consumed..];
                if (status == OperationStatus.DestinationTooSmall)
                {
                    continue;
                }

                Assert.Equal(isFinal ? OperationStatus.Done : OperationStatus.NeedMoreData, status);
                Assert.True(source.IsEmpty);
                break;
            }

            position += n;
            if (isFinal)
            {
                return [.. output];
            }
        }
    }

    private static readonly string[] s_texts =
    [
        "",
        "Hello, world",
        "line one\nline two\r\nline three\rline four\r",
        "trailing space \r\ntrailing tab\t\r\nend with space ",
        "equals = sign and =_ boundary prefix ==",
        "caf\u00e9 na\u00efve \U0001F600 \u4e2d\u6587",
        new string('x', 200) + "\n" + new string(' ', 100) + "\n",
        "\0\u0001\u007F controls",
        string.Concat(Enumerable.Repeat("0123456789 ", 40)),
    ];

    public static TheoryData<int, int> TextCases()
    {
        var data = new TheoryData<int, int>();
        for (int t = 0; t < s_texts.Length; t++)
        {
            foreach (int chunk in new[] { 1, 2, 3, 16, 4096 })
            {
                data.Add(t, chunk);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(TextCases))]
    public void QuotedPrintable_EveryChunkSize_SameOutputAndDecodesBack(int textIndex, int chunk)
    {
        byte[] input = Encoding.UTF8.GetBytes(s_texts[textIndex].ReplaceLineEndings("\r\n"));
        byte[] whole = Run(new QuotedPrintableEncoder(), input, int.MaxValue / 2);
        byte[] chunked = Run(new QuotedPrintableEncoder(), input, chunk);

        Assert.Equal(whole, chunked);
        AssertQuotedPrintableRules(chunked);
        Assert.Equal(input, DecodeQuotedPrintable(chunked));
    }

    [Theory]
    [MemberData(nameof(TextCases))]
    public void LineBreakNormalizer_EveryChunkSize_OnlyCrlf(int textIndex, int chunk)
    {
        byte[] input = Encoding.UTF8.GetBytes(s_texts[textIndex]);
        byte[] expected = Encoding.UTF8.GetBytes(s_texts[textIndex].Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n').Replace("\n", "\r\n", StringComparison.Ordinal));

        Assert.Equal(expected, Run(new LineBreakNormalizer(), input, chunk));
    }

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void Base64Lines_EveryChunkSize_MatchesConvertWith76CharLines(int chunk)
    {
        foreach (int length in new[] { 0, 1, 2, 3, 56, 57, 58, 114, 1000, 5000 })
        {
            byte[] input = new byte[length];
            new Random(length).NextBytes(input);
            string expected = string.Concat(Convert.ToBase64String(input, Base64FormattingOptions.InsertLineBreaks).Split("\r\n").Where(l => l.Length > 0).Select(l => l + "\r\n"));

            byte[] output = Run(new Base64LineEncoder(), input, chunk);

            Assert.Equal(expected, Encoding.ASCII.GetString(output));
        }
    }

    [Fact]
    public void QuotedPrintable_RandomBytes_RoundTripAndRulesHold()
    {
        Gen.Byte.Array[0, 600].Select(Gen.Int[1, 64]).Sample((bytes, chunk) =>
        {
            byte[] encoded = Run(new QuotedPrintableEncoder(), bytes, chunk);
            Assert.Equal(Run(new QuotedPrintableEncoder(), bytes, 4096), encoded);
            AssertQuotedPrintableRules(encoded);
            Assert.Equal(bytes, DecodeQuotedPrintable(encoded));
        }, iter: 500);
    }

    [Fact]
    public void Reset_ForgetsPendingState()
    {
        var qp = new QuotedPrintableEncoder();
        qp.Encode("abc "u8, new byte[100], out _, out _, isFinal: false);
        qp.Reset();

        Assert.Equal("x"u8.ToArray(), Run(qp, "x"u8.ToArray(), 16));
    }

    /// <summary>RFC 2045 §6.7: lines of at most 76, no trailing whitespace, '=' only before hex or a soft break.</summary>
    internal static void AssertQuotedPrintableRules(byte[] encoded)
    {
        string text = Encoding.ASCII.GetString(encoded);
        Assert.All(encoded, b => Assert.True(b < 0x80));
        foreach (string line in text.Split("\r\n"))
        {
            Assert.True(line.Length <= 76, $"QP line of {line.Length}: {line}");
            Assert.False(line.EndsWith(' ') || line.EndsWith('\t'), $"trailing whitespace: [{line}]");
            Assert.DoesNotContain('\r', line);
            Assert.DoesNotContain('\n', line);
            for (int i = 0; i < line.Length; i++)
            {
                if (line[i] == '=')
                {
                    bool softBreak = i == line.Length - 1;
                    Assert.True(softBreak || (i + 2 < line.Length && Uri.IsHexDigit(line[i + 1]) && Uri.IsHexDigit(line[i + 2])), $"bad '=' in {line}");
                }
            }
        }

        Assert.DoesNotContain("=_", text, StringComparison.Ordinal);
    }

    internal static byte[] DecodeQuotedPrintable(byte[] encoded)
    {
        var output = new List<byte>();
        for (int i = 0; i < encoded.Length; i++)
        {
            if (encoded[i] != (byte)'=')
            {
                output.Add(encoded[i]);
            }
            else if (encoded[i + 1] == (byte)'\r')
            {
                i += 2;
            }
            else
            {
                output.Add(Convert.FromHexString(Encoding.ASCII.GetString(encoded, i + 1, 2))[0]);
                i += 2;
            }
        }

        return [.. output];
    }
}
