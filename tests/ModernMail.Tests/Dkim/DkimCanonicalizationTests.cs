using System.Buffers;
using System.Security.Cryptography;
using System.Text;
using ModernMail.Dkim;
using ModernMail.Dkim.Internal;
using Xunit;

namespace ModernMail.Tests.Dkim;

public class DkimCanonicalizationTests
{
    public static readonly int[] ChunkSizes = [1, 2, 3, 16, 4096];

    // RFC 6376 §3.4.5, example body " C \r\nD \t E\r\n\r\n\r\n".
    [Theory]
    [InlineData(DkimCanonicalization.Relaxed, " C \r\nD \t E\r\n\r\n\r\n", " C\r\nD E\r\n")]
    [InlineData(DkimCanonicalization.Simple, " C \r\nD \t E\r\n\r\n\r\n", " C \r\nD \t E\r\n")]
    [InlineData(DkimCanonicalization.Simple, "", "\r\n")]
    [InlineData(DkimCanonicalization.Relaxed, "", "")]
    [InlineData(DkimCanonicalization.Simple, "\r\n\r\n", "\r\n")]
    [InlineData(DkimCanonicalization.Relaxed, "\r\n \t \r\n", "")]
    [InlineData(DkimCanonicalization.Relaxed, "no newline at end", "no newline at end\r\n")]
    [InlineData(DkimCanonicalization.Simple, "no newline at end", "no newline at end\r\n")]
    [InlineData(DkimCanonicalization.Relaxed, "\r\n\r\nleading empty lines", "\r\n\r\nleading empty lines\r\n")]
    [InlineData(DkimCanonicalization.Relaxed, "a\r\n  \r\nb  \t\r\n", "a\r\n\r\nb\r\n")]
    [InlineData(DkimCanonicalization.Relaxed, "bare\nline feeds\n\n", "bare\r\nline feeds\r\n")]
    [InlineData(DkimCanonicalization.Simple, "lone\rCR\r\n", "lone\rCR\r\n")]
    [InlineData(DkimCanonicalization.Relaxed, "ends in CR\r", "ends in CR\r\r\n")]
    [InlineData(DkimCanonicalization.Relaxed, ".\r\n..\r\n", ".\r\n..\r\n")]
    public void Body_Examples_AreCanonicalizedAtEveryChunkSize(DkimCanonicalization canonicalization, string input, string expected)
    {
        foreach (int chunk in ChunkSizes)
        {
            Assert.Equal(expected, Encoding.Latin1.GetString(EncodeBody(Encoding.Latin1.GetBytes(input), canonicalization, chunk, 4096)));
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void Body_TinyDestination_GivesTheSameBytes(int destinationSize)
    {
        byte[] input = Encoding.ASCII.GetBytes("a \t b\r\n\r\n\r\n  c\r\n\r\n");
        foreach (var canonicalization in new[] { DkimCanonicalization.Relaxed, DkimCanonicalization.Simple })
        {
            Assert.Equal(EncodeBody(input, canonicalization, 4096, 4096), EncodeBody(input, canonicalization, 5, destinationSize));
        }
    }

    [Fact]
    public void BodyHash_EmptyBody_MatchesTheWellKnownHashes()
    {
        Assert.Equal("frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=", BodyHash([], DkimCanonicalization.Simple, 16));
        Assert.Equal("47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=", BodyHash([], DkimCanonicalization.Relaxed, 16));
    }

    [Theory]
    [MemberData(nameof(CorpusNames))]
    public void BodyHash_CorpusMessage_IsIdenticalAtEveryChunkSize(string name)
    {
        byte[] message = DkimCorpus.Load(name);
        foreach (var canonicalization in new[] { DkimCanonicalization.Relaxed, DkimCanonicalization.Simple })
        {
            string reference = BodyHash(message, canonicalization, message.Length + 1);
            foreach (int chunk in ChunkSizes)
            {
                Assert.Equal(reference, BodyHash(message, canonicalization, chunk));
            }

            Assert.Equal(reference, Convert.ToBase64String(SHA256.HashData(NaiveBody(message, canonicalization))));
        }
    }

    // RFC 6376 §3.4.5, example headers "A: X\r\nB : Y\t\r\n\tZ  \r\n".
    [Theory]
    [InlineData("A: X\r\n", "a:X\r\n", "A: X\r\n")]
    [InlineData("B : Y\t\r\n\tZ  \r\n", "b:Y Z\r\n", "B : Y\t\r\n\tZ  \r\n")]
    [InlineData("Subject:   lots   of\r\n   space  \r\n", "subject:lots of space\r\n", "Subject:   lots   of\r\n   space  \r\n")]
    [InlineData("X-Empty:\r\n", "x-empty:\r\n", "X-Empty:\r\n")]
    public void Header_Examples_AreCanonicalized(string raw, string relaxed, string simple)
    {
        byte[] input = Encoding.ASCII.GetBytes(raw);
        byte[] buffer = new byte[DkimHeaderCanonicalizer.GetMaxLength(input.Length)];

        int n = DkimHeaderCanonicalizer.Canonicalize(input, buffer, DkimCanonicalization.Relaxed, withLineBreak: true);
        Assert.Equal(relaxed, Encoding.ASCII.GetString(buffer, 0, n));
        n = DkimHeaderCanonicalizer.Canonicalize(input, buffer, DkimCanonicalization.Simple, withLineBreak: true);
        Assert.Equal(simple, Encoding.ASCII.GetString(buffer, 0, n));
    }

    [Fact]
    public void RemoveSignatureValue_KeepsEverythingButTheBValue()
    {
        const string field = "DKIM-Signature: v=1; bh=abc=;\r\n b=def\r\n ghi; x=5\r\n";
        Assert.Equal("DKIM-Signature: v=1; bh=abc=;\r\n b=; x=5\r\n", DkimTagList.RemoveSignatureValue(field));
        Assert.Equal("DKIM-Signature: a=1; b=\r\n", DkimTagList.RemoveSignatureValue("DKIM-Signature: a=1; b=xyz\r\n"));
    }

    public static TheoryData<string> CorpusNames() => new(DkimCorpus.Names());

    private static string BodyHash(byte[] message, DkimCanonicalization canonicalization, int chunk)
    {
        int body = BodyOffset(message);
        using var hasher = new DkimBodyHasher(canonicalization);
        for (int i = body; i < message.Length; i += chunk)
        {
            hasher.Append(message.AsSpan(i, Math.Min(chunk, message.Length - i)));
        }

        return Convert.ToBase64String(hasher.Complete());
    }

    private static int BodyOffset(byte[] message)
    {
        using HeaderBlock block = HeaderBlock.Read(message, 1 << 20, out int body);
        return body;
    }

    private static byte[] EncodeBody(byte[] input, DkimCanonicalization canonicalization, int chunk, int destinationSize)
    {
        var encoder = new DkimBodyCanonicalizer(canonicalization);
        var output = new ArrayBufferWriter<byte>();
        byte[] destination = new byte[destinationSize];
        int offset = 0;
        do
        {
            int length = Math.Min(chunk, input.Length - offset);
            bool isFinal = offset + length == input.Length;
            ReadOnlySpan<byte> source = input.AsSpan(offset, length);
            OperationStatus status;
            do
            {
                status = encoder.Encode(source, destination, out int consumed, out int written, isFinal);
                output.Write(destination.AsSpan(0, written));
                source = source[consumed..];
            }
            while (status == OperationStatus.DestinationTooSmall);

            Assert.Equal(OperationStatus.Done, status);
            Assert.True(source.IsEmpty);
            offset += length;
        }
        while (offset < input.Length);

        return output.WrittenSpan.ToArray();
    }

    // A deliberately simple whole-string version of §3.4.3/§3.4.4 to check the streaming encoder against.
    private static byte[] NaiveBody(byte[] message, DkimCanonicalization canonicalization)
    {
        string body = Encoding.Latin1.GetString(message, BodyOffset(message), message.Length - BodyOffset(message));
        List<string> lines = body.Replace("\r\n", "\n").Split('\n').ToList();
        if (canonicalization == DkimCanonicalization.Relaxed)
        {
            lines = lines.Select(l => System.Text.RegularExpressions.Regex.Replace(l, "[ \t]+", " ").TrimEnd(' ')).ToList();
        }

        while (lines.Count > 0 && lines[^1].Length == 0)
        {
            lines.RemoveAt(lines.Count - 1);
        }

        string result = lines.Count == 0
            ? (canonicalization == DkimCanonicalization.Simple ? "\r\n" : "")
            : string.Concat(lines.Select(l => l + "\r\n"));
        return Encoding.Latin1.GetBytes(result);
    }
}
