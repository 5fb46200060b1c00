// MimeKit's nullable annotations make every parsed-tree lookup noisy; the assertions cover nulls.
#nullable disable
using System.Net.Mail;
using System.Text;
using MimeKit;
using ModernMail.Mime;
using Xunit;
using static ModernMail.Tests.Mime.MimeTestSupport;

namespace ModernMail.Tests.Mime;

/// <summary>Composite media types: message/* goes 7bit/8bit as RFC 2045 §6.4 demands; multipart/* leaves are refused.</summary>
public class CompositeTypeTests
{
    private const string Inner = "From: x@example.org\nTo: y@example.org\nSubject: Forwarded one\n\nInner body.\n.\nLast line.\n";

    private static MailMessage WithAttachment(byte[] content, string mediaType = "message/rfc822", bool seekable = true)
    {
        var msg = new MailMessage("a@example.com", "b@example.com", "Fwd", "See attached.");
        Stream stream = seekable ? new MemoryStream(content) : new NonSeekableStream(new MemoryStream(content));
        msg.Attachments.Add(new Attachment(stream, "forwarded.eml", mediaType));
        return msg;
    }

    [Fact]
    public void MessageRfc822_SevenBitContent_Sent7BitWithCrlfAndParsesAsMessage()
    {
        using MailMessage msg = WithAttachment(Encoding.ASCII.GetBytes(Inner));

        byte[] raw = Render(msg);

        AssertWireDiscipline(raw);
        string text = Encoding.ASCII.GetString(raw);
        Assert.DoesNotContain("base64", text, StringComparison.OrdinalIgnoreCase);
        MessagePart part = Assert.Single(Parse(raw).Attachments.OfType<MessagePart>());
        Assert.Equal("7bit", part.Headers[HeaderId.ContentTransferEncoding]);
        Assert.Equal("Forwarded one", part.Message.Subject);
        Assert.Equal("Inner body.\n.\nLast line.\n", part.Message.TextBody.ReplaceLineEndings("\n"));
        Assert.Contains("\r\nSubject: Forwarded one\r\n\r\nInner body.\r\n.\r\nLast line.\r\n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void MessageRfc822_EightBitContent_8BitWhenAllowed_RefusedOtherwise()
    {
        byte[] content = Encoding.UTF8.GetBytes(Inner.Replace("Inner body.", "Grüße, körper.", StringComparison.Ordinal));
        using MailMessage allowed = WithAttachment(content);
        using MailMessage refused = WithAttachment(content);

        byte[] raw = Render(allowed, DeterministicOptions(allow8Bit: true));
        var e = Assert.Throws<MailMessageFormatException>(() => Render(refused));

        AssertWireDiscipline(raw, allow8Bit: true);
        MessagePart part = Assert.Single(Parse(raw).Attachments.OfType<MessagePart>());
        Assert.Equal("8bit", part.Headers[HeaderId.ContentTransferEncoding]);
        Assert.Contains("Grüße, körper.", part.Message.TextBody, StringComparison.Ordinal);
        Assert.Equal("Attachments[0].ContentStream", e.Field);
        Assert.Contains("Allow8Bit", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("long line")]
    [InlineData("nul")]
    public void MessageRfc822_ContentThatNoIdentityEncodingCarries_Refused(string kind)
    {
        string content = kind == "nul" ? Inner.Replace("Inner", "In\0ner", StringComparison.Ordinal) : Inner + new string('x', 1200) + "\n";
        using MailMessage msg = WithAttachment(Encoding.ASCII.GetBytes(content));
        using var output = new MemoryStream();

        var e = Assert.Throws<MailMessageFormatException>(() => MailMessageWriter.WriteAsync(msg, output, DeterministicOptions(allow8Bit: true), TestContext.Current.CancellationToken).GetAwaiter().GetResult());

        Assert.Equal("Attachments[0].ContentStream", e.Field);
        Assert.Equal(0, output.Length); // refused before anything was written
    }

    [Fact]
    public void MessageRfc822_NonSeekableStream_RefusedByTheValidator()
    {
        using MailMessage msg = WithAttachment(Encoding.ASCII.GetBytes(Inner), seekable: false);

        Assert.Equal("Attachments[0].ContentStream", Assert.Throws<MailMessageFormatException>(() => MailMessageValidator.Validate(msg)).Field);
    }

    [Fact]
    public void MessagePartial_MustBe7Bit_EvenWhen8BitAllowed()
    {
        using MailMessage msg = WithAttachment(Encoding.UTF8.GetBytes("Subject: é\n\nx\n"), "message/partial");

        Assert.Equal("Attachments[0].ContentStream", Assert.Throws<MailMessageFormatException>(() => Render(msg, DeterministicOptions(allow8Bit: true))).Field);
    }

    [Fact]
    public void MessageGlobal_MayBeBase64()
    {
        using MailMessage msg = WithAttachment(Encoding.UTF8.GetBytes("Subject: é\n\nkörper\n"), "message/global");

        byte[] raw = Render(msg);

        AssertWireDiscipline(raw);
        MimeEntity part = Parse(raw).BodyParts.Single(p => p.ContentType.MimeType == "message/global");
        Assert.Equal("base64", part.Headers[HeaderId.ContentTransferEncoding]);
    }

    [Theory]
    [InlineData("attachment", "multipart/mixed", "Attachments[0].ContentType")]
    [InlineData("view", "multipart/alternative", "AlternateViews[0].ContentType")]
    [InlineData("resource", "multipart/related", "AlternateViews[0].LinkedResources[0].ContentType")]
    public void MultipartLeaf_Refused(string where, string mediaType, string field)
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "b");
        var content = new MemoryStream("--b\r\n\r\nx\r\n--b--\r\n"u8.ToArray());
        switch (where)
        {
            case "attachment":
                msg.Attachments.Add(new Attachment(content, "parts.bin", mediaType));
                break;
            case "view":
                msg.AlternateViews.Add(new AlternateView(content, mediaType));
                break;
            case "resource":
                var view = AlternateView.CreateAlternateViewFromString("<img src=cid:r>", null, "text/html");
                view.LinkedResources.Add(new LinkedResource(content, mediaType) { ContentId = "r" });
                msg.AlternateViews.Add(view);
                break;
        }

        var e = Assert.Throws<MailMessageFormatException>(() => Render(msg));

        Assert.Equal(field, e.Field);
        Assert.Contains(mediaType, e.Message, StringComparison.Ordinal);
    }
}
