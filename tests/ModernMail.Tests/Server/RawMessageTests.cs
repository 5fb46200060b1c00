using System.Text;
using ModernMail.Mime;
using ModernMail.Server.Http;
using ModernMail.Server.Submission;
using Xunit;

namespace ModernMail.Tests.Server;

public sealed class RawMessageTests
{
    [Fact]
    public void Normalize_TurnsBareLfIntoCrLf_AndLeavesCrLfAlone()
    {
        byte[] mixed = Encoding.ASCII.GetBytes("A: 1\nB: 2\r\n\nbody\n");
        Assert.Equal("A: 1\r\nB: 2\r\n\r\nbody\r\n", Encoding.ASCII.GetString(RawMessage.Normalize(mixed, "raw")));
        byte[] clean = Encoding.ASCII.GetBytes("A: 1\r\n\r\nx\r\n");
        Assert.Same(clean, RawMessage.Normalize(clean, "raw"));
    }

    [Fact]
    public void Normalize_RefusesNul()
    {
        var ex = Assert.Throws<MailMessageFormatException>(() => RawMessage.Normalize([(byte)'A', 0, (byte)'B'], "messages[2].raw"));
        Assert.Equal("messages[2].raw", ex.Field);
    }

    [Fact]
    public void ReadHeaders_FindsFoldedFrom_AndAnExistingSignature()
    {
        byte[] message = Encoding.ASCII.GetBytes("DKIM-Signature: v=1; d=x.test;\r\n b=abc\r\nFrom: \"Ops\"\r\n <ops@sender.test>\r\nSubject: s\r\n\r\nFrom: body@not.header\r\n");
        var (from, signed) = RawMessage.ReadHeaders(message, "raw");
        Assert.Equal("ops@sender.test", from.Address);
        Assert.True(signed);
    }

    [Theory]
    [InlineData("Subject: no from\r\n\r\nx\r\n", "no From")]
    [InlineData("From: a@x.test\r\nFrom: b@x.test\r\n\r\nx\r\n", "more than one")]
    [InlineData("From: not an address\r\n\r\nx\r\n", "not an address")]
    [InlineData("just text without headers\r\n", "Not a header field")]
    [InlineData(" continuation first\r\nFrom: a@x.test\r\n\r\n", "continuation")]
    public void ReadHeaders_RefusesWhatCannotBeSentAsIs(string text, string reason)
    {
        var ex = Assert.Throws<MailMessageFormatException>(() => RawMessage.ReadHeaders(Encoding.ASCII.GetBytes(text), "raw"));
        Assert.Equal("raw", ex.Field);
        Assert.Contains(reason, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("To[2]", "", "to[2]")]
    [InlineData("Headers[X-Tag]", "messages[1].", "messages[1].headers.X-Tag")]
    [InlineData("Attachments[0].Name", "", "attachments[0].filename")]
    [InlineData("Attachments[3].ContentId", "", "attachments[3].contentId")]
    [InlineData("Reply-To[0]", "", "replyTo[0]")]
    [InlineData("AlternateViews[0].ContentType", "", "html")]
    public void LibraryFieldNames_MapToJsonMembers(string field, string prefix, string expected) =>
        Assert.Equal(expected, MessageMapper.JsonField(field, prefix));
}
