using System.Text;
using ModernMail.Server.Smtp;
using Xunit;

namespace ModernMail.Tests.Server.Smtp;

public sealed class DotUnstufferTests
{
    public static TheoryData<int> ChunkSizes => new() { 1, 2, 3, 16, 4096 };

    /// <summary>Feeds <paramref name="wire"/> in chunks; returns the decoded message, whether the end was found and what followed it.</summary>
    private static (string Message, bool Ended, string After) Decode(string wire, int chunk)
    {
        byte[] input = Encoding.ASCII.GetBytes(wire);
        var decoder = new DotUnstuffer();
        var output = new List<byte>();
        int position = 0;
        while (position < input.Length)
        {
            int length = Math.Min(chunk, input.Length - position);
            byte[] destination = new byte[length + DotUnstuffer.MaxExpansion];
            bool ended = decoder.Decode(input.AsSpan(position, length), destination, out int consumed, out int written);
            output.AddRange(destination.AsSpan(0, written).ToArray());
            position += consumed;
            if (ended)
            {
                return (Encoding.ASCII.GetString([.. output]), true, wire[position..]);
            }
            Assert.Equal(length, consumed);
        }
        return (Encoding.ASCII.GetString([.. output]), false, "");
    }

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void Decode_PlainMessage_EndsAtDotLine_AndLeavesTheNextCommand(int chunk)
    {
        var (message, ended, rest) = Decode("Subject: a\r\n\r\nbody\r\n.\r\nQUIT\r\n", chunk);
        Assert.True(ended);
        Assert.Equal("Subject: a\r\n\r\nbody\r\n", message);
        Assert.Equal("QUIT\r\n", rest);
    }

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void Decode_StuffedLines_LoseTheirFirstDot(int chunk)
    {
        var (message, ended, _) = Decode("..leading\r\n...two\r\n.x\r\n.\r\n", chunk);
        Assert.True(ended);
        Assert.Equal(".leading\r\n..two\r\nx\r\n", message);
    }

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void Decode_EmptyMessage_IsJustTheDotLine(int chunk)
    {
        var (message, ended, rest) = Decode(".\r\n", chunk);
        Assert.True(ended);
        Assert.Equal("", message);
        Assert.Equal("", rest);
    }

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void Decode_BareLfOrCrDots_AreContent_NotTheEnd(int chunk)
    {
        // The SMTP smuggling variants: only CRLF "." CRLF ends the data.
        var (message, ended, _) = Decode("a\n.\nb\r.\rc\r\n.\rd\r\n.\r\n", chunk);
        Assert.True(ended);
        Assert.Equal("a\n.\nb\r.\rc\r\n\rd\r\n", message);
    }

    [Theory]
    [MemberData(nameof(ChunkSizes))]
    public void Decode_WithoutEndLine_IsNotEnded(int chunk)
    {
        var (message, ended, _) = Decode("half a mess", chunk);
        Assert.False(ended);
        Assert.Equal("half a mess", message);
    }

    [Fact]
    public void Decode_DestinationTooSmall_Throws()
    {
        var decoder = new DotUnstuffer();
        Assert.Throws<ArgumentOutOfRangeException>(() => decoder.Decode("abc"u8, new byte[3], out _, out _));
    }
}
