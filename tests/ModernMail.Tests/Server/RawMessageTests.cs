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

    [Fact]
    public void AddMissingDateAndMessageId_AddsOnlyWhatIsMissing()
    {
        var now = new DateTimeOffset(2026, 12, 3, 7, 0, 0, TimeSpan.Zero);
        byte[] bare = "From: a@b.test\r\nSubject: x\r\n\r\nbody\r\n"u8.ToArray();
        string both = Encoding.ASCII.GetString(RawMessage.AddMissingDateAndMessageId(bare, "mx.b.test", now));
        Assert.StartsWith("Date: Thu, 3 Dec 2026 07:00:00 +0000\r\nMessage-ID: <", both, StringComparison.Ordinal);
        Assert.Contains("@mx.b.test>\r\nFrom: a@b.test\r\n", both, StringComparison.Ordinal);
        Assert.EndsWith("\r\n\r\nbody\r\n", both, StringComparison.Ordinal);

        byte[] dated = "Date: Mon, 1 Dec 2026 00:00:00 +0000\r\nFrom: a@b.test\r\n\r\nbody\r\n"u8.ToArray();
        string idOnly = Encoding.ASCII.GetString(RawMessage.AddMissingDateAndMessageId(dated, "mx.b.test", now));
        Assert.StartsWith("Message-ID: <", idOnly, StringComparison.Ordinal);
        Assert.Equal(2, idOnly.Split("Date: ").Length); // the one it had, no second one

        byte[] complete = "message-id: <x@y>\r\nDATE: Mon, 1 Dec 2026 00:00:00 +0000\r\nFrom: a@b.test\r\n\r\n"u8.ToArray();
        Assert.Same(complete, RawMessage.AddMissingDateAndMessageId(complete, "mx.b.test", now));
    }

    [Fact]
    public void TakeField_RemovesTheFoldedControlField_OnlyFromTheHeader()
    {
        byte[] message = Encoding.ASCII.GetBytes("From: a@b.test\r\nx-modernmail-unsubscribe: one-\r\n click\r\nSubject: s\r\n\r\nX-ModernMail-Unsubscribe: body\r\n");
        var (rest, value) = RawMessage.TakeField(message, "X-ModernMail-Unsubscribe");
        Assert.Equal("one- click", value);
        Assert.Equal("From: a@b.test\r\nSubject: s\r\n\r\nX-ModernMail-Unsubscribe: body\r\n", Encoding.ASCII.GetString(rest));
        byte[] without = Encoding.ASCII.GetBytes("From: a@b.test\r\n\r\nbody\r\n");
        Assert.Same(without, RawMessage.TakeField(without, "X-ModernMail-Unsubscribe").Message);
    }
}
