// MimeKit's nullable annotations make every parsed-tree lookup noisy; the assertions cover nulls.
#nullable disable
using System.Net.Mail;
using MimeKit;
using ModernMail.Mime;
using Xunit;
using static ModernMail.Tests.Mime.MimeTestSupport;

namespace ModernMail.Tests.Mime;

/// <summary>CR, LF and NUL in any header-bearing field never start a new header line: encoded safely or rejected.</summary>
public class InjectionTests
{
    private const string Evil = "x\r\nBcc: victim@example.com\r\n\r\nbody\0";

    private static MailMessage Basic() => new("a@example.com", "b@example.com", "s", "body");

    /// <summary>The message parses with exactly the header fields we expect and no Bcc.</summary>
    private static MimeMessage AssertNoInjectedHeaders(byte[] raw)
    {
        AssertWireDiscipline(raw);
        MimeMessage parsed = Parse(raw);
        Assert.DoesNotContain(parsed.Headers, h => h.Field.Equals("Bcc", StringComparison.OrdinalIgnoreCase));
        Assert.Empty(parsed.Bcc);
        Assert.All(HeaderLines(raw), l => Assert.False(l.StartsWith("Bcc", StringComparison.OrdinalIgnoreCase), l));
        return parsed;
    }

    [Theory]
    [InlineData("x\0y", "xy")]
    [InlineData("bell\u0007 and escape\u001b[31m", "bell and escape[31m")]
    [InlineData("del\u007f", "del")]
    [InlineData("tab\there", "tab here")]
    [InlineData("tabs\t\t \tand", "tabs   and")]
    [InlineData("nel\u0085line\u2028para\u2029end", "nel line para end")]
    [InlineData("c1\u009b\u0080", "c1")]
    public void Subject_ControlCharacters_ReplacedOrDropped_NeverDecodedToControls(string subject, string expected)
    {
        using MailMessage msg = Basic();
        msg.Subject = subject;

        MimeMessage parsed = AssertNoInjectedHeaders(Render(msg));

        Assert.Equal(expected, parsed.Subject);
    }

    [Fact]
    public void Subject_OnlyControls_NotWritten()
    {
        using MailMessage msg = Basic();
        msg.Subject = "\u0001\u0002";

        Assert.DoesNotContain(HeaderLines(Render(msg)), l => l.StartsWith("Subject:", StringComparison.Ordinal));
    }

    [Fact]
    public void Subject_CrLf_RejectedByMailMessage()
    {
        using MailMessage msg = Basic();
        Assert.Throws<ArgumentException>(() => msg.Subject = Evil);
    }

    [Fact]
    public void DisplayNames_CrLfNul_ReplacedInEveryAddressField()
    {
        using var msg = new MailMessage { From = new MailAddress("a@example.com", Evil), Sender = new MailAddress("s@example.com", Evil), Body = "b" };
        msg.ReplyToList.Add(new MailAddress("r@example.com", Evil));
        msg.To.Add(new MailAddress("t@example.com", Evil));
        msg.CC.Add(new MailAddress("c@example.com", Evil));

        MimeMessage parsed = AssertNoInjectedHeaders(Render(msg));

        Assert.Contains("\r\n", msg.From.DisplayName, StringComparison.Ordinal); // MailAddress keeps it
        const string Expected = "x Bcc: victim@example.com body"; // one space per CR/LF run, NUL dropped
        Assert.Equal(Expected, ((MailboxAddress)parsed.From[0]).Name);
        Assert.Equal(Expected, parsed.Sender.Name);
        Assert.Equal(Expected, parsed.ReplyTo.Mailboxes.Single().Name);
        Assert.Equal(Expected, parsed.To.Mailboxes.Single().Name);
        Assert.Equal(Expected, parsed.Cc.Mailboxes.Single().Name);
        Assert.Equal("b\n", MailMessageWriterTests.Lf(parsed.TextBody));
    }

    [Fact]
    public void DisplayName_OnlyControls_WrittenAsBareAddress()
    {
        using MailMessage msg = Basic();
        msg.From = new MailAddress("a@example.com", "\u0001\u007f");

        Assert.Contains("From: a@example.com", HeaderLines(Render(msg)));
    }

    [Theory]
    [InlineData("a@example.com\r\nBcc: v@example.com")]
    [InlineData("\"a\r\nb\"@example.com")]
    [InlineData("a\0@example.com")]
    public void Addresses_CrLfNul_RejectedBeforeTheyReachTheWriter(string address)
    {
        Assert.ThrowsAny<FormatException>(() => new MailAddress(address));
    }

    [Theory]
    [InlineData("X-Custom", "value\r\nBcc: v@example.com")]
    [InlineData("X-Custom", "value\nInjected: yes")]
    [InlineData("X-Custom", "value\rInjected: yes")]
    [InlineData("X-Custom", "nul\0byte")]
    [InlineData("Message-ID", "<caf\u00e9@example.com>")]
    [InlineData("Date", "Mon, 1 Jan 2024 00:00:00 +0000\u00a0")]
    [InlineData("References", "<a@b>\r\n <c@d>")]
    public void CustomHeaderValues_Unsafe_Rejected(string name, string value)
    {
        using MailMessage msg = Basic();
        msg.Headers.Add(name, value);

        var e = Assert.Throws<MailMessageFormatException>(() => Render(msg));

        Assert.Equal($"Headers[{name}]", e.Field);
        Assert.Contains(name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CustomHeaderNames_Invalid_Rejected()
    {
        using MailMessage msg = Basic();
        Assert.ThrowsAny<FormatException>(() => msg.Headers.Add("X Bad", "v"));
        Assert.ThrowsAny<FormatException>(() => msg.Headers.Add("X-Bad\r\nBcc", "v"));

        msg.Headers.Add(new string('X', 77), "v");
        Assert.Equal($"Headers[{new string('X', 77)}]", Assert.Throws<MailMessageFormatException>(() => Render(msg)).Field);
    }

    [Fact]
    public void CustomHeaderValue_NonAsciiAndTab_EncodedSafely()
    {
        using MailMessage msg = Basic();
        msg.Headers.Add("X-Note", "tab\there and ünïcödé");

        MimeMessage parsed = AssertNoInjectedHeaders(Render(msg));

        Assert.Equal("tab\there and ünïcödé", parsed.Headers["X-Note"]);
    }

    // C0 (but TAB), DEL, C1 (NEL), Unicode line/paragraph separators, bidi overrides.
    public static TheoryData<string> UnsafeInValues => ["\u0001", "\u001b[31m", "\u007f", "\u0080", "\u0085", "\u009b", "\u2028", "\u2029", "\u202e", "\u2066"];

    // Everything refused in values, plus the invisible format characters that would make an address look like another.
    public static TheoryData<string> UnsafeInAddresses => [.. UnsafeInValues, "\u200b", "\u00ad", "\ufeff", "\u200d"];

    [Theory]
    [MemberData(nameof(UnsafeInValues))]
    public void CustomHeaderValue_ControlsAndSeparators_Refused(string bad)
    {
        using MailMessage msg = Basic();
        msg.Headers.Add("X-Note", "a" + bad + "b");

        var e = Assert.Throws<MailMessageFormatException>(() => Render(msg));

        Assert.Equal("Headers[X-Note]", e.Field);
        Assert.Contains($"U+{(int)bad[0]:X4}", e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(UnsafeInAddresses))]
    public void Address_ControlFormatAndSeparatorCharacters_RefusedInEveryField(string bad)
    {
        foreach (string field in new[] { "From", "Sender", "Reply-To[0]", "To[0]", "Cc[0]", "Bcc[0]" })
        {
            foreach (string address in new[] { "bo" + bad + "b@example.test", "\"bo" + bad + "b\"@example.test", "bob@exa" + bad + "mple.test" })
            {
                MailAddress mailAddress;
                try
                {
                    mailAddress = new MailAddress(address);
                }
                catch (FormatException)
                {
                    continue; // .NET refused it already
                }

                using MailMessage msg = Basic();
                switch (field)
                {
                    case "From": msg.From = mailAddress; break;
                    case "Sender": msg.Sender = mailAddress; break;
                    case "Reply-To[0]": msg.ReplyToList.Add(mailAddress); break;
                    case "To[0]": msg.To.Clear(); msg.To.Add(mailAddress); break;
                    case "Cc[0]": msg.CC.Add(mailAddress); break;
                    case "Bcc[0]": msg.Bcc.Add(mailAddress); break;
                }

                Assert.Equal(field, Assert.Throws<MailMessageFormatException>(() => Render(msg)).Field);
            }
        }
    }

    [Theory]
    [InlineData("From")]
    [InlineData("To[0]")]
    [InlineData("Bcc[0]")]
    public void Address_TrailingDotDomain_Refused(string field)
    {
        using MailMessage msg = Basic();
        var address = new MailAddress("bob@example.test.");
        switch (field)
        {
            case "From": msg.From = address; break;
            case "To[0]": msg.To.Clear(); msg.To.Add(address); break;
            case "Bcc[0]": msg.Bcc.Add(address); break;
        }

        var e = Assert.Throws<MailMessageFormatException>(() => Render(msg));

        Assert.Equal(field, e.Field);
        Assert.Contains("ends with a dot", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Address_C1InLocalPart_IsNotWrittenRaw()
    {
        // The example from the issue: .NET accepts it, a reader would see "bob@example.test" with an invisible prefix.
        using MailMessage msg = Basic();
        msg.From = new MailAddress("\u0085bob@example.test");

        Assert.Equal("From", Assert.Throws<MailMessageFormatException>(() => Render(msg)).Field);
        Assert.Throws<MailMessageFormatException>(() => MailMessageValidator.Validate(msg));
    }

    [Theory]
    [MemberData(nameof(UnsafeInValues))]
    public void AttachmentNameAndParameters_ControlsAndSeparators_Refused(string bad)
    {
        using MailMessage named = Basic();
        named.Attachments.Add(new Attachment(new MemoryStream([1]), "invoice" + bad + "txt.exe"));

        using MailMessage parameter = Basic();
        var type = new System.Net.Mime.ContentType("text/plain");
        type.Parameters["format"] = "flowed" + bad;
        parameter.AlternateViews.Add(AlternateView.CreateAlternateViewFromString("x", type));

        Assert.Equal("Attachments[0].Name", Assert.Throws<MailMessageFormatException>(() => Render(named)).Field);
        Assert.Equal("AlternateViews[0].ContentType", Assert.Throws<MailMessageFormatException>(() => Render(parameter)).Field);
    }

    [Fact]
    public void AttachmentName_UnpairedSurrogate_Refused()
    {
        // Not a theory: xUnit would turn the lone surrogate into U+FFFD when it serializes the data.
        using MailMessage msg = Basic();
        msg.Attachments.Add(new Attachment(new MemoryStream([1]), "a\ud800b.txt"));

        Assert.Equal("Attachments[0].Name", Assert.Throws<MailMessageFormatException>(() => Render(msg)).Field);
    }

    [Theory]
    [InlineData("\u0085id")]
    [InlineData("id\u2028")]
    [InlineData("caf\u00e9")]
    public void ContentIds_NonAscii_Refused(string contentId)
    {
        using MailMessage msg = Basic();
        var attachment = new Attachment(new MemoryStream([1]), "a.png") { ContentId = contentId };
        attachment.ContentDisposition.Inline = true;
        msg.Attachments.Add(attachment);

        Assert.Equal("Attachments[0].ContentId", Assert.Throws<MailMessageFormatException>(() => Render(msg)).Field);
    }

    [Theory]
    [InlineData("file\r\nContent-Type: text/html.txt")]
    [InlineData("file\0.txt")]
    [InlineData("file\n.txt")]
    public void AttachmentName_ControlCharacters_Rejected(string name)
    {
        using MailMessage msg = Basic();
        msg.Attachments.Add(new Attachment(new MemoryStream([1]), name));

        Assert.Equal("Attachments[0].Name", Assert.Throws<MailMessageFormatException>(() => Render(msg)).Field);
    }

    [Fact]
    public void AttachmentDispositionFileName_ControlCharacters_Rejected()
    {
        using MailMessage msg = Basic();
        var attachment = new Attachment(new MemoryStream([1]), "ok.bin");
        attachment.ContentDisposition.FileName = "evil\r\nX: y.bin";
        msg.Attachments.Add(attachment);

        Assert.Equal("Attachments[0].Name", Assert.Throws<MailMessageFormatException>(() => Render(msg)).Field);
    }

    [Theory]
    [InlineData("id\r\nBcc: v@example.com")]
    [InlineData("id\0")]
    [InlineData("two words")]
    public void ContentIds_Unsafe_Rejected(string contentId)
    {
        using MailMessage inlineMsg = Basic();
        var attachment = new Attachment(new MemoryStream([1]), "a.png") { ContentId = contentId };
        attachment.ContentDisposition.Inline = true;
        inlineMsg.Attachments.Add(attachment);

        using MailMessage relatedMsg = Basic();
        var view = AlternateView.CreateAlternateViewFromString("<img src=cid:x>", null, "text/html");
        view.LinkedResources.Add(new LinkedResource(new MemoryStream([1]), "image/png") { ContentId = contentId });
        relatedMsg.AlternateViews.Add(view);

        Assert.Equal("Attachments[0].ContentId", Assert.Throws<MailMessageFormatException>(() => Render(inlineMsg)).Field);
        Assert.Equal("AlternateViews[0].LinkedResources[0].ContentId", Assert.Throws<MailMessageFormatException>(() => Render(relatedMsg)).Field);
    }

    [Fact]
    public void ContentId_AngleBrackets_RejectedByDotNet()
    {
        Assert.Throws<ArgumentException>(() => new Attachment(new MemoryStream([1]), "a.png") { ContentId = "<id>" });
    }

    [Fact]
    public void ContentTypeParameter_CrLf_Rejected()
    {
        using MailMessage msg = Basic();
        var type = new System.Net.Mime.ContentType("text/plain");
        type.Parameters["format"] = "flowed\r\nBcc: v@example.com";
        msg.AlternateViews.Add(AlternateView.CreateAlternateViewFromString("x", type));

        Assert.Equal("AlternateViews[0].ContentType", Assert.Throws<MailMessageFormatException>(() => Render(msg)).Field);
    }

    [Theory]
    [InlineData("host\r\nBcc: v@example.com")]
    [InlineData("host name")]
    [InlineData("")]
    [InlineData("a@b")]
    public void HostName_Invalid_Rejected(string host)
    {
        using MailMessage msg = Basic();
        var options = DeterministicOptions();
        options.HostName = host;

        Assert.Equal("HostName", Assert.Throws<MailMessageFormatException>(() => Render(msg, options)).Field);
    }

    [Fact]
    public void MissingFrom_Rejected_NothingWritten()
    {
        using var msg = new MailMessage { Body = "b" };
        msg.To.Add("b@example.com");
        using var output = new MemoryStream();

        var e = Assert.Throws<MailMessageFormatException>(() => ModernMail.Mime.MailMessageWriter.WriteAsync(msg, output, DeterministicOptions(), TestContext.Current.CancellationToken).GetAwaiter().GetResult());

        Assert.Equal("From", e.Field);
        Assert.Equal(0, output.Length);
        Assert.IsAssignableFrom<ModernMailException>(e);
    }

    [Fact]
    public void AttachmentNameWithQuotesAndBackslashes_EscapedNotInjected()
    {
        using MailMessage msg = Basic();
        msg.Attachments.Add(new Attachment(new MemoryStream([1]), "a\"; filename=\"evil.exe"));

        MimeMessage parsed = AssertNoInjectedHeaders(Render(msg));

        MimePart part = parsed.Attachments.OfType<MimePart>().Single();
        Assert.Equal("a\"; filename=\"evil.exe", part.ContentDisposition.Parameters["filename"]);
        Assert.Single(part.ContentDisposition.Parameters);
    }

    [Fact]
    public void ValidateAndSmtpUtf8_NullMessage_Throw()
    {
        Assert.Throws<ArgumentNullException>(() => MailMessageValidator.Validate(null));
        Assert.Throws<ArgumentNullException>(() => MailMessageValidator.RequiresSmtpUtf8(null));
    }
}
