// MimeKit's nullable annotations make every parsed-tree lookup noisy; the assertions cover nulls.
#nullable disable
using System.Net.Mail;
using System.Text;
using MimeKit;
using Xunit;
using static ModernMail.Tests.Mime.MimeTestSupport;

namespace ModernMail.Tests.Mime;

/// <summary>Text that is itself a literal encoded-word is encoded, so decoders show what the sender wrote.</summary>
public class EncodedWordLookalikeTests
{
    public static TheoryData<string> Lookalikes =>
    [
        "=?utf-8?q?admin?=",
        "=?utf-8?q?evil?=.exe",
        "=?UTF-8?B?YWRtaW4=?=",
        "Support =?utf-8?q?Team?=",
        "a=?b",
        "\"=?utf-8?q?x?=\"",
        "=?iso-8859-1?q?caf=E9?= report.pdf",
    ];

    [Theory]
    [MemberData(nameof(Lookalikes))]
    public void DisplayNameSubjectFileNameAndCustomHeader_DecodeToTheLiteralText(string text)
    {
        using var msg = new MailMessage { From = new MailAddress("a@example.com", text), Subject = text, Body = "b" };
        msg.To.Add(new MailAddress("b@example.com", text));
        msg.Headers.Add("X-Note", text);
        msg.Attachments.Add(new Attachment(new MemoryStream([1, 2]), text));

        byte[] raw = Render(msg);

        AssertWireDiscipline(raw);
        string wire = Encoding.ASCII.GetString(raw);
        // The literal never appears on the wire, not even inside a quoted-string or a quoted parameter.
        Assert.DoesNotContain(text.Trim('"'), wire, StringComparison.Ordinal);
        Assert.Contains("=?", msg.From.DisplayName, StringComparison.Ordinal);
        MimeMessage parsed = Parse(raw);
        // MailAddress strips outer quotes and MailMessage.Subject decodes a whole encoded-word, so compare with what they hold.
        Assert.Equal(msg.From.DisplayName, ((MailboxAddress)parsed.From[0]).Name);
        Assert.Equal(msg.To[0].DisplayName, ((MailboxAddress)parsed.To[0]).Name);
        Assert.Equal(msg.Subject, parsed.Subject);
        Assert.Equal(text, parsed.Headers["X-Note"]);
        MimePart attachment = Assert.Single(parsed.Attachments.OfType<MimePart>());
        // Attachment.Name, like Subject, decodes a value that is one whole encoded-word when it is set.
        string name = msg.Attachments[0].Name;
        Assert.Equal(name, attachment.ContentDisposition.Parameters["filename"]);
        Assert.Equal(name, attachment.ContentType.Parameters["name"]);
    }

    [Fact]
    public void FileName_LiteralEncodedWordInContentDisposition_SavedAsWritten()
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "b");
        var attachment = new Attachment(new MemoryStream([1]), "x.bin");
        attachment.ContentDisposition.FileName = "=?utf-8?q?evil?=.exe";
        msg.Attachments.Add(attachment);
        msg.Attachments.Add(new Attachment(new MemoryStream([1]), "=?utf-8?q?evil?=.exe"));

        byte[] raw = Render(msg);

        Assert.DoesNotContain("evil?=", Encoding.ASCII.GetString(raw), StringComparison.Ordinal);
        Assert.All(Parse(raw).Attachments.OfType<MimePart>(), part => Assert.Equal("=?utf-8?q?evil?=.exe", part.FileName));
    }

    [Fact]
    public void Subject_LiteralEncodedWordAmongWords_EncodedNotDecoded()
    {
        using var msg = new MailMessage("a@example.com", "b@example.com") { Subject = "Re: =?utf-8?q?admin?= request" };

        byte[] raw = Render(msg);

        Assert.Equal("Re: =?utf-8?q?admin?= request", msg.Subject);
        Assert.DoesNotContain("=?utf-8?q?admin?=", Encoding.ASCII.GetString(raw), StringComparison.Ordinal);
        Assert.Equal(msg.Subject, Parse(raw).Subject);
    }

    [Theory]
    [InlineData("*", "filename=\"*\"")]
    [InlineData("'", "filename=\"'\"")]
    [InlineData("100%", "filename=\"100%\"")]
    [InlineData("*_", "filename=\"*_\"")]
    public void FileName_Rfc2231Delimiters_QuotedNotBareTokens(string name, string expected)
    {
        // Legal tokens, but Python's email reports "name=*" as an invalid parameter and drops it.
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "b");
        msg.Attachments.Add(new Attachment(new MemoryStream([1]), name));

        byte[] raw = Render(msg);

        Assert.Contains(expected, Encoding.ASCII.GetString(raw), StringComparison.Ordinal);
        Assert.Equal(name, Parse(raw).Attachments.OfType<MimePart>().Single().FileName);
    }

    [Fact]
    public void PlainQuestionMarksAndEquals_StayReadable()
    {
        using var msg = new MailMessage { From = new MailAddress("a@example.com", "Who? Me=You"), Subject = "2+2=4? yes", Body = "b" };
        msg.To.Add("b@example.com");
        msg.Attachments.Add(new Attachment(new MemoryStream([1]), "why?.txt"));

        string wire = Encoding.ASCII.GetString(Render(msg));

        Assert.Contains("From: Who? Me=You <a@example.com>", wire, StringComparison.Ordinal);
        Assert.Contains("Subject: 2+2=4? yes\r\n", wire, StringComparison.Ordinal);
        Assert.Contains("filename=\"why?.txt\"", wire, StringComparison.Ordinal);
    }
}
