// MimeKit's nullable annotations make every parsed-tree lookup noisy; the assertions cover nulls.
#nullable disable
using System.Net.Mail;
using System.Net.Mime;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using MimeKit;
using ModernMail.Mime;
using Xunit;
using static ModernMail.Tests.Mime.MimeTestSupport;

namespace ModernMail.Tests.Mime;

public class MailMessageWriterTests
{
    [Fact]
    public void SeedSample_ParsesBackWithSameContent()
    {
        byte[] png = Png();
        using MailMessage msg = SeedSample(png);

        byte[] raw = Render(msg);
        MimeMessage parsed = Parse(raw);

        AssertWireDiscipline(raw);
        AssertHeaderLinesFolded(raw);
        Assert.Equal("Hello World!", parsed.Subject);
        Assert.Equal("System Administrator", ((MailboxAddress)parsed.From[0]).Name);
        Assert.Equal("admin@mydomain.com", ((MailboxAddress)parsed.From[0]).Address);
        Assert.Equal("john@yahoo.com", ((MailboxAddress)parsed.To[0]).Address);
        Assert.Equal("bob@outlook.com", ((MailboxAddress)parsed.Cc[0]).Address);
        Assert.Equal("Hello,\n\nThis is a test e-mail with a file attached.\n\nRegards,\nSystem Administrator", Lf(parsed.TextBody));
        Assert.Equal(msg.Body, parsed.HtmlBody);
        MimePart attachment = Assert.Single(parsed.Attachments.OfType<MimePart>());
        Assert.Equal("pretty-image.png", attachment.FileName);
        Assert.Equal("image/png", attachment.ContentType.MimeType);
        Assert.Equal(png, Decode(attachment));
        Assert.Equal("multipart/mixed", parsed.Body.ContentType.MimeType);
        var alternative = Assert.IsType<MultipartAlternative>(((Multipart)parsed.Body)[0]);
        Assert.Equal(["text/plain", "text/html"], alternative.Select(p => p.ContentType.MimeType));
    }

    [Fact]
    public void Headers_DateFromClockMessageIdFromHostAndNoBcc()
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "body");
        msg.Bcc.Add("secret@example.com");
        var options = DeterministicOptions();
        options.TimeProvider = new FakeTimeProvider(new DateTimeOffset(2025, 2, 3, 9, 5, 6, TimeSpan.Zero));
        ((FakeTimeProvider)options.TimeProvider).SetLocalTimeZone(TimeZoneInfo.CreateCustomTimeZone("m5", TimeSpan.FromHours(-5), "m5", "m5"));

        byte[] raw = Render(msg, options);
        string text = Encoding.ASCII.GetString(raw);
        MimeMessage parsed = Parse(raw);

        Assert.StartsWith("Date: Mon, 3 Feb 2025 04:05:06 -0500\r\n", text, StringComparison.Ordinal);
        Assert.Matches(@"\r\nMessage-ID: <[A-Za-z0-9]{24}@mydomain\.com>\r\n", text);
        Assert.DoesNotContain("secret", text, StringComparison.Ordinal);
        Assert.DoesNotContain("Bcc", text, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(new DateTimeOffset(2025, 2, 3, 4, 5, 6, TimeSpan.FromHours(-5)), parsed.Date);
        Assert.Equal("text/plain", parsed.Body.ContentType.MimeType);
        Assert.Equal("body\n", Lf(parsed.TextBody)); // a single-part body gets the final line break DATA would add
    }

    [Fact]
    public void Headers_EachSingleInstanceFieldOnce_CustomDateAndMessageIdOverride()
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", "real subject", "body");
        msg.Headers.Add("Date", "Tue, 1 Jan 2030 00:00:00 +0000");
        msg.Headers.Add("Message-ID", "<custom@id.example>");
        msg.Headers.Add("X-Mailer", "ModernMail tests");
        msg.Headers.Add("X-Tag", "one");
        msg.Headers.Add("X-Tag", "two");

        byte[] raw = Render(msg);
        List<string> names = HeaderLines(raw).Where(l => !l.StartsWith(' ')).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)]).ToList();
        MimeMessage parsed = Parse(raw);

        foreach (string single in new[] { "Date", "Message-ID", "From", "To", "Subject", "MIME-Version", "Content-Type" })
        {
            Assert.Single(names, n => n.Equals(single, StringComparison.OrdinalIgnoreCase));
        }

        Assert.DoesNotContain(names, n => n.Equals("Bcc", StringComparison.OrdinalIgnoreCase));
        Assert.Equal("custom@id.example", parsed.MessageId);
        Assert.Equal(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero), parsed.Date);
        Assert.Equal("real subject", parsed.Subject);
        Assert.Equal("b@example.com", ((MailboxAddress)Assert.Single(parsed.To)).Address);
        Assert.Equal("ModernMail tests", parsed.Headers["X-Mailer"]);
        Assert.Equal(["one", "two"], parsed.Headers.Where(h => h.Field == "X-Tag").Select(h => h.Value));
    }

    [Theory]
    [InlineData("DKIM-Signature", "v=1; a=rsa-sha256; d=example.com; s=sel; bh=x; b=y")]
    [InlineData("dkim-signature", "v=1")]
    [InlineData("ARC-Seal", "i=1; a=rsa-sha256; cv=none; d=example.com; s=sel; b=y")]
    [InlineData("ARC-Message-Signature", "i=1; a=rsa-sha256; bh=x; b=y")]
    [InlineData("MIME-Version", "1.0")]
    [InlineData("Content-Type", "text/evil")]
    [InlineData("Content-Transfer-Encoding", "binary")]
    [InlineData("Content-Disposition", "inline")]
    [InlineData("Content-ID", "<x@example.com>")]
    [InlineData("Bcc", "hidden@example.com")]
    [InlineData("To", "injected@example.com")]
    [InlineData("Cc", "injected@example.com")]
    [InlineData("From", "spoof@example.com")]
    [InlineData("Sender", "spoof@example.com")]
    [InlineData("Reply-To", "spoof@example.com")]
    [InlineData("Subject", "fake")]
    public void ComposerOwnedCustomHeaders_RefusedNamingTheHeader(string name, string value)
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", "real subject", "body");
        msg.Headers.Add(name, value);
        using var output = new MemoryStream();

        var e = Assert.Throws<MailMessageFormatException>(() => MailMessageWriter.WriteAsync(msg, output, DeterministicOptions(), TestContext.Current.CancellationToken).GetAwaiter().GetResult());

        Assert.Equal($"Headers[{name}]", e.Field);
        Assert.Equal(0, output.Length);
        Assert.Throws<MailMessageFormatException>(() => MailMessageValidator.Validate(msg));
    }

    [Fact]
    public void MessageAlreadySentBySmtpClient_RefusedNotWrittenTwice()
    {
        // SmtpClient.Send writes MIME-Version, From, To, Date and Subject into MailMessage.Headers.
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "body");
        string pickup = Directory.CreateTempSubdirectory("mm-pickup-").FullName;
        try
        {
#pragma warning disable SYSLIB0014 // SmtpClient is obsolete; this is the migration case being tested
            using var client = new SmtpClient { DeliveryMethod = SmtpDeliveryMethod.SpecifiedPickupDirectory, PickupDirectoryLocation = pickup };
#pragma warning restore SYSLIB0014
            client.Send(msg);
        }
        finally
        {
            Directory.Delete(pickup, recursive: true);
        }

        Assert.StartsWith("Headers[", Assert.Throws<MailMessageFormatException>(() => Render(msg)).Field, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(MailPriority.High, "1", "urgent", "high")]
    [InlineData(MailPriority.Low, "5", "non-urgent", "low")]
    public void Priority_WritesAllThreeHeaders(MailPriority priority, string xPriority, string priorityValue, string importance)
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "b") { Priority = priority };
        msg.Headers.Add("X-Priority", "3");

        MimeMessage parsed = Parse(Render(msg));

        Assert.Equal(xPriority, parsed.Headers["X-Priority"]);
        Assert.Equal(priorityValue, parsed.Headers["Priority"]);
        Assert.Equal(importance, parsed.Headers["Importance"]);
        Assert.Single(parsed.Headers, h => h.Field == "X-Priority");
    }

    [Fact]
    public void SenderAndReplyTo_Written()
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "b") { Sender = new MailAddress("bot@example.com", "Bot") };
        msg.ReplyToList.Add(new MailAddress("r1@example.com", "R One"));
        msg.ReplyToList.Add("r2@example.com");

        MimeMessage parsed = Parse(Render(msg));

        Assert.Equal("bot@example.com", parsed.Sender.Address);
        Assert.Equal(["r1@example.com", "r2@example.com"], parsed.ReplyTo.Mailboxes.Select(m => m.Address));
        Assert.Equal("R One", parsed.ReplyTo.Mailboxes.First().Name);
    }

    [Theory]
    [InlineData("Grüße aus Köln", "?= aus =?utf-8?")]
    [InlineData("Emoji 😀🎉 party", "Subject: Emoji =?utf-8?")]
    [InlineData("日本語のテキストです。これは長い件名で、複数のエンコードされた単語に分割される必要があります。", "Subject: =?utf-8?B?")]
    [InlineData("plain ascii subject stays readable", "Subject: plain ascii subject stays readable\r\n")]
    public void Subject_NonAsciiEncodedOnlyWhereNeeded(string subject, string expectedPrefix)
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", subject, "b");

        byte[] raw = Render(msg);
        string text = Encoding.ASCII.GetString(raw);

        Assert.Contains(expectedPrefix, text, StringComparison.Ordinal);
        Assert.Equal(subject, Parse(raw).Subject);
        AssertWireDiscipline(raw);
        AssertHeaderLinesFolded(raw);
        foreach (System.Text.RegularExpressions.Match word in System.Text.RegularExpressions.Regex.Matches(text, @"=\?[^?]+\?[QB]\?[^?]*\?="))
        {
            Assert.True(word.Length <= 75, $"encoded-word of {word.Length}: {word.Value}");
        }
    }

    [Fact]
    public void LongAddressList_FoldedAt78()
    {
        using var msg = new MailMessage { From = new MailAddress("a@example.com"), Subject = "s", Body = "b" };
        for (int i = 0; i < 30; i++)
        {
            msg.To.Add(new MailAddress($"person{i}@example.com", i % 2 == 0 ? $"Person Number {i}" : $"Ünïcödé Pérsön {i}"));
        }

        byte[] raw = Render(msg);
        MimeMessage parsed = Parse(raw);

        Assert.All(HeaderLines(raw), l => Assert.True(l.Length <= 78, l));
        Assert.Equal(30, parsed.To.Count);
        for (int i = 0; i < 30; i++)
        {
            var mailbox = (MailboxAddress)parsed.To[i];
            Assert.Equal($"person{i}@example.com", mailbox.Address);
            Assert.Equal(msg.To[i].DisplayName, mailbox.Name);
        }
    }

    [Theory]
    [InlineData("Doe, John", "\"Doe, John\" <")]
    [InlineData("Quote \"me\" \\ now", "\"Quote \\\"me\\\" \\\\ now\" <")]
    [InlineData("Dr. Who", "\"Dr. Who\" <")]
    [InlineData("José Ñandú", "=?utf-8?")]
    public void DisplayName_QuotedOrEncodedAsNeeded(string name, string expected)
    {
        using var msg = new MailMessage { From = new MailAddress("a@example.com", name), Body = "b" };

        byte[] raw = Render(msg);

        Assert.Contains("From: " + expected, Encoding.ASCII.GetString(raw), StringComparison.Ordinal);
        Assert.Equal(name, ((MailboxAddress)Parse(raw).From[0]).Name);
    }

    [Fact]
    public void InternationalDomain_WrittenAsALabels_AndNonAsciiLocalPartNeedsSmtpUtf8()
    {
        using var msg = new MailMessage { From = new MailAddress("info@bücher.de"), Body = "b" };
        msg.To.Add("jöhn@example.com");

        byte[] raw = Render(msg);

        Assert.Contains("From: info@xn--bcher-kva.de\r\n", Encoding.UTF8.GetString(raw), StringComparison.Ordinal);
        Assert.Contains("To: jöhn@example.com\r\n", Encoding.UTF8.GetString(raw), StringComparison.Ordinal);
        Assert.True(MailMessageValidator.RequiresSmtpUtf8(msg));
        msg.To.Clear();
        msg.To.Add("john@example.com");
        Assert.False(MailMessageValidator.RequiresSmtpUtf8(msg));
    }

    [Fact]
    public void Attachment_NonAsciiAndLongFileName_Rfc2231WithContinuations()
    {
        string longName = "Überweisungsbestätigung für das Geschäftsjahr 2026 – endgültige Fassung 😀.pdf";
        byte[] content = Encoding.ASCII.GetBytes("%PDF-1.4 fake");
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "b");
        msg.Attachments.Add(new Attachment(new MemoryStream(content), "naïve.txt", "text/plain"));
        msg.Attachments.Add(new Attachment(new MemoryStream(content), longName, "application/pdf"));
        msg.Attachments.Add(new Attachment(new MemoryStream(content), "say \"hi\" \\ there.txt", "text/plain"));

        byte[] raw = Render(msg);
        string text = Encoding.ASCII.GetString(raw);
        MimeMessage parsed = Parse(raw);

        Assert.Contains("filename*=utf-8''na%C3%AFve.txt", text, StringComparison.Ordinal);
        Assert.Contains("filename*0*=utf-8''", text, StringComparison.Ordinal);
        Assert.Contains("filename*1*=", text, StringComparison.Ordinal);
        Assert.Contains("filename=\"say \\\"hi\\\" \\\\ there.txt\"", text, StringComparison.Ordinal);
        Assert.Equal(["naïve.txt", longName, "say \"hi\" \\ there.txt"], parsed.Attachments.Select(a => ((MimePart)a).FileName));
        Assert.All(parsed.Attachments, a => Assert.Equal(content, Decode((MimePart)a)));
        AssertWireDiscipline(raw);
        AssertHeaderLinesFolded(raw);
    }

    [Fact]
    public void LinkedResources_MultipartRelatedWithContentId()
    {
        byte[] png = Png();
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "plain text body");
        var html = AlternateView.CreateAlternateViewFromString("<img src=\"cid:logo\">", null, "text/html");
        html.LinkedResources.Add(new LinkedResource(new MemoryStream(png), "image/png") { ContentId = "logo" });
        msg.AlternateViews.Add(html);

        MimeMessage parsed = Parse(Render(msg));

        var alternative = Assert.IsType<MultipartAlternative>(parsed.Body);
        Assert.Equal("text/plain", alternative[0].ContentType.MimeType);
        var related = Assert.IsType<MultipartRelated>(alternative[1]);
        Assert.Equal("text/html", related.ContentType.Parameters["type"]);
        Assert.Equal("text/html", related[0].ContentType.MimeType);
        var image = Assert.IsType<MimePart>(related[1]);
        Assert.Equal("logo", image.ContentId);
        Assert.Equal(png, Decode(image));
        Assert.Equal("<img src=\"cid:logo\">", parsed.HtmlBody);
    }

    [Fact]
    public void InlineAttachment_KeepsContentIdAndInlineDisposition()
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "b");
        var att = new Attachment(new MemoryStream([1, 2, 3]), "pic.png", "image/png") { ContentId = "pic1" };
        att.ContentDisposition!.Inline = true;
        msg.Attachments.Add(att);

        MimeMessage parsed = Parse(Render(msg));

        MimeEntity part = ((Multipart)parsed.Body)[1];
        Assert.Equal("pic1", part.ContentId);
        Assert.Equal("inline", part.ContentDisposition.Disposition);
        Assert.Equal("pic.png", part.ContentDisposition.FileName);
    }

    [Fact]
    public void EmptyMessage_IsValidSinglePart()
    {
        using var msg = new MailMessage { From = new MailAddress("a@example.com") };

        byte[] raw = Render(msg);
        MimeMessage parsed = Parse(raw);

        AssertWireDiscipline(raw);
        Assert.Equal("text/plain", parsed.Body.ContentType.MimeType);
        Assert.Equal("", parsed.TextBody);
    }

    [Fact]
    public void AttachmentsOnly_MixedWithoutBodyPart()
    {
        using var msg = new MailMessage { From = new MailAddress("a@example.com") };
        msg.Attachments.Add(new Attachment(new MemoryStream([9, 8, 7]), "x.bin"));

        MimeMessage parsed = Parse(Render(msg));

        var mixed = Assert.IsType<Multipart>(parsed.Body);
        Assert.Single(mixed);
        Assert.Equal([9, 8, 7], Decode((MimePart)mixed[0]));
    }

    [Theory]
    [InlineData("short ascii\nlines only", "7bit")]
    [InlineData("a line that is much longer than seventy-eight characters so it cannot be sent as 7bit as is", "quoted-printable")]
    [InlineData("non-ascii: café", "quoted-printable")]
    [InlineData("looks like a boundary =_abc", "quoted-printable")]
    [InlineData("trailing space \nend", "7bit")]
    public void TransferEncoding_ChosenFromContent(string body, string expected)
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", body);

        byte[] raw = Render(msg);

        Assert.Contains("Content-Transfer-Encoding: " + expected + "\r\n", Encoding.ASCII.GetString(raw), StringComparison.Ordinal);
        Assert.Equal(body + "\n", Lf(Parse(raw).TextBody));
        Assert.EndsWith("\r\n", Encoding.ASCII.GetString(raw), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("x", null, "x\r\n")]
    [InlineData("x\n", null, "x\r\n")]
    [InlineData("x\r", null, "x\r\n")]
    [InlineData("caf\u00e9", null, "caf=C3=A9\r\n")]
    [InlineData("x", "base64", "eA==\r\n")]
    [InlineData("", null, "\r\n\r\n")]
    [InlineData("x", "view", "x\r\n")]
    public void Output_AlwaysEndsWithExactlyOneCrlf(string body, string kind, string expectedEnd)
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", kind == "view" ? "" : body);
        if (kind == "base64")
        {
            msg.BodyTransferEncoding = TransferEncoding.Base64;
        }
        else if (kind == "view")
        {
            msg.AlternateViews.Add(AlternateView.CreateAlternateViewFromString(body, null, "text/html"));
        }

        string raw = Encoding.ASCII.GetString(Render(msg));

        Assert.EndsWith(expectedEnd, raw, StringComparison.Ordinal);
        Assert.False(body.Length > 0 && raw.EndsWith("\r\n\r\n", StringComparison.Ordinal), "an extra empty line was added");
    }

    [Fact]
    public void Allow8Bit_NonAsciiBodyGoes8Bit()
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "Grüße\nbody");

        byte[] raw = Render(msg, DeterministicOptions(allow8Bit: true));

        Assert.Contains("Content-Transfer-Encoding: 8bit\r\n", Encoding.UTF8.GetString(raw), StringComparison.Ordinal);
        AssertWireDiscipline(raw, allow8Bit: true);
        Assert.Equal("Grüße\nbody\n", Lf(Parse(raw).TextBody));
    }

    [Theory]
    [InlineData(TransferEncoding.QuotedPrintable, "quoted-printable")]
    [InlineData(TransferEncoding.SevenBit, "7bit")]
    [InlineData(TransferEncoding.Base64, "7bit")]
    public void AlternateView_ExplicitTransferEncodingHonouredWhenSensible(TransferEncoding requested, string expected)
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "<p>x</p>") { IsBodyHtml = true };
        var view = AlternateView.CreateAlternateViewFromString("plain view", new System.Net.Mime.ContentType("text/plain; format=flowed"));
        view.TransferEncoding = requested;
        msg.AlternateViews.Add(view);

        byte[] raw = Render(msg);
        MimeMessage parsed = Parse(raw);

        var plain = (TextPart)((Multipart)parsed.Body)[0];
        Assert.Equal(expected, plain.Headers[HeaderId.ContentTransferEncoding]);
        Assert.Equal("flowed", plain.ContentType.Parameters["format"]);
        Assert.Equal("plain view", plain.Text);
    }

    [Theory]
    [InlineData(true, "8bit")]
    [InlineData(false, "quoted-printable")]
    public void AlternateView_EightBitRequested_OnlyWhenAllowed(bool allow8Bit, string expected)
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "x");
        var view = AlternateView.CreateAlternateViewFromString("<p>Grüße</p>", Encoding.UTF8, "text/html");
        view.TransferEncoding = TransferEncoding.EightBit;
        msg.AlternateViews.Add(view);

        byte[] raw = Render(msg, DeterministicOptions(allow8Bit: allow8Bit));
        MimeMessage parsed = Parse(raw);

        AssertWireDiscipline(raw, allow8Bit);
        Assert.Equal("<p>Grüße</p>", parsed.HtmlBody);
        Assert.Equal(expected, ((Multipart)parsed.Body)[1].Headers[HeaderId.ContentTransferEncoding]);
    }

    [Fact]
    public void AlternateView_SevenBitRequestedOnNonAsciiContent_FallsBackToQuotedPrintable()
    {
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "x");
        var view = AlternateView.CreateAlternateViewFromString("<p>Grüße</p>", Encoding.UTF8, "text/html");
        view.TransferEncoding = TransferEncoding.SevenBit;
        msg.AlternateViews.Add(view);

        MimeMessage parsed = Parse(Render(msg));

        Assert.Equal("<p>Grüße</p>", parsed.HtmlBody);
        Assert.Equal("quoted-printable", ((Multipart)parsed.Body)[1].Headers[HeaderId.ContentTransferEncoding]);
    }

    [Fact]
    public void NonSeekableStreams_WrittenInFull()
    {
        byte[] data = new byte[200_000];
        new Random(7).NextBytes(data);
        using var msg = new MailMessage("a@example.com", "b@example.com", "s", "b");
        var view = new AlternateView(new MimeTestSupport.NonSeekableStream(new MemoryStream(Encoding.UTF8.GetBytes("<b>héllo</b>\nworld"))), "text/html");
        msg.AlternateViews.Add(view);
        msg.Attachments.Add(new Attachment(new MimeTestSupport.NonSeekableStream(new MemoryStream(data)), "data.bin"));

        byte[] raw = Render(msg);
        MimeMessage parsed = Parse(raw);

        AssertWireDiscipline(raw);
        Assert.Equal("<b>héllo</b>\nworld", Lf(parsed.HtmlBody));
        Assert.Equal(data, Decode((MimePart)parsed.Attachments.Single()));
    }

    [Fact]
    public void SameMessageAndSeed_ByteIdentical_DifferentSeedDifferentBoundaries()
    {
        using MailMessage msg = SeedSample();

        byte[] first = Render(msg, DeterministicOptions(1));
        byte[] second = Render(msg, DeterministicOptions(1));
        byte[] third = Render(msg, DeterministicOptions(2));

        Assert.Equal(first, second);
        Assert.NotEqual(first, third);
    }

    [Fact]
    public void NullRandom_UsesCryptographicTokens()
    {
        using MailMessage msg = SeedSample();
        var options = DeterministicOptions();
        options.Random = null;

        MimeMessage a = Parse(Render(msg, options));
        MimeMessage b = Parse(Render(msg, options));

        Assert.NotEqual(a.MessageId, b.MessageId);
        Assert.Equal(a.TextBody, b.TextBody);
    }

    [Fact]
    public void Boundaries_DistinctAndAbsentFromContent()
    {
        using MailMessage msg = SeedSample();
        var view = AlternateView.CreateAlternateViewFromString("<p>x</p>", null, "text/html");
        view.LinkedResources.Add(new LinkedResource(new MemoryStream(Png()), "image/png") { ContentId = "c" });
        msg.AlternateViews.Add(view);

        string text = Encoding.ASCII.GetString(Render(msg));
        var boundaries = System.Text.RegularExpressions.Regex.Matches(text, "boundary=\"([^\"]+)\"").Select(m => m.Groups[1].Value).ToList();

        Assert.Equal(3, boundaries.Count);
        Assert.Equal(3, boundaries.Distinct().Count());
        foreach (string boundary in boundaries)
        {
            Assert.True(boundary.Length <= 70);
            int delimiters = System.Text.RegularExpressions.Regex.Matches(text, "\r\n--" + System.Text.RegularExpressions.Regex.Escape(boundary)).Count
                + (text.Contains("\r\n\r\n--" + boundary, StringComparison.Ordinal) ? 0 : 0);
            Assert.True(delimiters >= 2);
        }
    }

    [Fact]
    public async Task Arguments_Null_Throw()
    {
        using var msg = new MailMessage("a@example.com", "b@example.com");
        var ct = TestContext.Current.CancellationToken;
        await Assert.ThrowsAsync<ArgumentNullException>(() => MailMessageWriter.WriteAsync(null, Stream.Null, new MailWriterOptions(), ct));
        await Assert.ThrowsAsync<ArgumentNullException>(() => MailMessageWriter.WriteAsync(msg, null, new MailWriterOptions(), ct));
        await Assert.ThrowsAsync<ArgumentNullException>(() => MailMessageWriter.WriteAsync(msg, Stream.Null, null, ct));
    }

    /// <summary>MimeKit hands text back with the platform's line breaks; the wire checks cover CRLF.</summary>
    internal static string Lf(string text) => text.ReplaceLineEndings("\n");

    internal static byte[] Decode(MimePart part)
    {
        using var output = new MemoryStream();
        part.Content.DecodeTo(output);
        return output.ToArray();
    }
}
