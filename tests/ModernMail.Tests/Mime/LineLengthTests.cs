// MimeKit's nullable annotations make every parsed-tree lookup noisy; the assertions cover nulls.
#nullable disable
using System.Net.Mail;
using MimeKit;
using ModernMail.Mime;
using Xunit;
using static ModernMail.Tests.Mime.MimeTestSupport;
using ContentType = System.Net.Mime.ContentType;

namespace ModernMail.Tests.Mime;

/// <summary>No line we write passes 998 octets (RFC 5322 §2.1.1): folded where the grammar allows, else refused naming the field.</summary>
public class LineLengthTests
{
    private static readonly string s_longLocal = new('l', 1000);

    private static MailMessage Basic() => new("a@example.com", "b@example.com", "s", "body");

    [Theory]
    [InlineData("From")]
    [InlineData("Sender")]
    [InlineData("Reply-To[0]")]
    [InlineData("To[1]")]
    [InlineData("Cc[0]")]
    public void LongLocalPart_RefusedNamingTheField(string field)
    {
        using MailMessage msg = Basic();
        var address = new MailAddress(s_longLocal + "@example.com", "Long");
        switch (field)
        {
            case "From": msg.From = address; break;
            case "Sender": msg.Sender = address; break;
            case "Reply-To[0]": msg.ReplyToList.Add(address); break;
            case "To[1]": msg.To.Add(address); break;
            case "Cc[0]": msg.CC.Add(address); break;
        }

        var e = Assert.Throws<MailMessageFormatException>(() => Render(msg));

        Assert.Equal(field, e.Field);
        Assert.Contains("998", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("A display name")]
    public void LongestAddressThatFits_WrittenOnItsOwnLine(string displayName)
    {
        // "Reply-To: <" + spec + ">," is the worst line: 998 - 14 octets for the address.
        string local = new('l', 984 - "@example.com".Length);
        using MailMessage msg = Basic();
        msg.ReplyToList.Add(new MailAddress(local + "@example.com", displayName));
        msg.To.Add(new MailAddress(local + "@example.com", displayName));

        byte[] raw = Render(msg);

        AssertWireDiscipline(raw);
        MimeMessage parsed = Parse(raw);
        Assert.Equal(local + "@example.com", parsed.ReplyTo.Mailboxes.Single().Address);
        Assert.Equal(local + "@example.com", parsed.To.Mailboxes.Last().Address);
    }

    [Theory]
    [InlineData("Message-ID")]
    [InlineData("Date")]
    [InlineData("References")]
    [InlineData("In-Reply-To")]
    public void LongStructuredCustomValue_WithoutSpaces_Refused(string name)
    {
        using MailMessage msg = Basic();
        msg.Headers.Add(name, "<" + new string('x', 1000) + "@example.com>");

        Assert.Equal($"Headers[{name}]", Assert.Throws<MailMessageFormatException>(() => Render(msg)).Field);
    }

    [Fact]
    public void LongReferences_FoldedBetweenMessageIds()
    {
        string[] ids = [.. Enumerable.Range(0, 60).Select(i => $"<{i}.{new string('r', 30)}@example.com>")];
        using MailMessage msg = Basic();
        msg.Headers.Add("References", string.Join(' ', ids));

        byte[] raw = Render(msg);

        AssertWireDiscipline(raw);
        AssertHeaderLinesFolded(raw);
        Assert.Equal(ids.Select(id => id[1..^1]), Parse(raw).References);
    }

    [Fact]
    public void LongUnstructuredWord_EncodedAndFolded()
    {
        string value = new('w', 3000);
        using MailMessage msg = Basic();
        msg.Headers.Add("X-Long", value);
        msg.Subject = value;

        byte[] raw = Render(msg);

        AssertWireDiscipline(raw);
        AssertHeaderLinesFolded(raw);
        MimeMessage parsed = Parse(raw);
        Assert.Equal(value, parsed.Headers["X-Long"]);
        Assert.Equal(value, parsed.Subject);
    }

    [Fact]
    public void LongContentIds_Refused()
    {
        string id = new string('c', 1000) + "@example.com";
        using MailMessage inlineMsg = Basic();
        var attachment = new Attachment(new MemoryStream([1]), "a.png") { ContentId = id };
        attachment.ContentDisposition.Inline = true;
        inlineMsg.Attachments.Add(attachment);

        using MailMessage relatedMsg = Basic();
        var view = AlternateView.CreateAlternateViewFromString("<img src=cid:x>", null, "text/html");
        view.LinkedResources.Add(new LinkedResource(new MemoryStream([1]), "image/png") { ContentId = id });
        relatedMsg.AlternateViews.Add(view);

        Assert.Equal("Attachments[0].ContentId", Assert.Throws<MailMessageFormatException>(() => Render(inlineMsg)).Field);
        Assert.Equal("AlternateViews[0].LinkedResources[0].ContentId", Assert.Throws<MailMessageFormatException>(() => Render(relatedMsg)).Field);
    }

    [Fact]
    public void LongMediaTypeAndParameterName_Refused()
    {
        using MailMessage typeMsg = Basic();
        typeMsg.Attachments.Add(new Attachment(new MemoryStream([1]), new ContentType("application/" + new string('t', 1000))));

        using MailMessage parameterMsg = Basic();
        var type = new ContentType("application/octet-stream");
        type.Parameters.Add(new string('p', 77), "v");
        parameterMsg.Attachments.Add(new Attachment(new MemoryStream([1]), type));

        Assert.Equal("Attachments[0].ContentType", Assert.Throws<MailMessageFormatException>(() => Render(typeMsg)).Field);
        Assert.Equal("Attachments[0].ContentType", Assert.Throws<MailMessageFormatException>(() => Render(parameterMsg)).Field);
    }

    [Fact]
    public void LongHostName_Refused()
    {
        using MailMessage msg = Basic();
        MailWriterOptions options = DeterministicOptions();
        options.HostName = string.Join('.', Enumerable.Repeat(new string('h', 60), 5));

        Assert.Equal("HostName", Assert.Throws<MailMessageFormatException>(() => Render(msg, options)).Field);
    }
}
