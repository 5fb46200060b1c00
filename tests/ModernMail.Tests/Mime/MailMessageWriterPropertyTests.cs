// MimeKit's nullable annotations make every parsed-tree lookup noisy; the assertions cover nulls.
#nullable disable
using System.Net.Mail;
using System.Text;
using CsCheck;
using MimeKit;
using Xunit;
using static ModernMail.Tests.Mime.MimeTestSupport;

namespace ModernMail.Tests.Mime;

public class MailMessageWriterPropertyTests
{
    // Mostly ASCII words and spaces, with Latin, Greek, CJK, emoji, tabs and the odd control character.
    private static readonly Gen<string> s_rune = Gen.Frequency(
        (40, Gen.Char['a', 'z'].Select(c => c.ToString())),
        (10, Gen.Const(" ")),
        (6, Gen.Char['!', '~'].Select(c => c.ToString())),
        (6, Gen.Char['\u00a0', '\u024f'].Select(c => c.ToString())),
        (3, Gen.Char['\u0370', '\u03ff'].Select(c => c.ToString())),
        (4, Gen.Char['\u4e00', '\u9fff'].Select(c => c.ToString())),
        (4, Gen.Int[0x1F300, 0x1F64F].Select(char.ConvertFromUtf32)),
        (1, Gen.Const("\t")),
        (1, Gen.OneOfConst("\u0001", "\u001f", "\u007f", "\u200b", "\ufeff")),
        (1, Gen.OneOfConst("\u0085", "\u2028", "\u2029", "\u009b", "\u202e")),
        (1, Gen.OneOfConst("=?utf-8?q?x?=", "=?", "?=", "=?UTF-8?B?YWRtaW4=?=")));

    private static readonly Gen<string> s_text = s_rune.Array[0, 120].Select(string.Concat);
    private static readonly Gen<string> s_name = s_rune.Array[1, 60].Select(string.Concat);

    // File names with control characters are rejected by design (see InjectionTests), so leave them out here.
    private static readonly Gen<string> s_fileName = s_rune.Where(r => !HostileText.RefusedInName(r)).Array[1, 90].Select(string.Concat);

    // Custom header values refuse controls other than TAB (see InjectionTests).
    private static readonly Gen<string> s_headerValue = s_rune.Where(r => !HostileText.RefusedInHeaderValue(r)).Array[1, 60].Select(string.Concat);

    private static readonly Gen<string> s_body = Gen.Frequency(
        (3, s_rune.Array[0, 400].Select(string.Concat)),
        (1, Gen.OneOfConst("\n", "\r\n", "\r").Select(s_rune.Array[0, 100].Select(string.Concat)).Array[0, 30].Select(parts => string.Concat(parts.Select(p => p.Item2 + p.Item1)))));

    private static readonly Gen<byte[]> s_attachment = Gen.Byte.Array[0, 3000];

    [Fact]
    public void RandomMessages_RoundTripThroughMimeKit_AndKeepWireDiscipline()
    {
        Gen.Select(s_text, s_name, s_name, s_body, s_body, s_fileName, s_attachment, Gen.Bool)
            .Sample((subject, fromName, toName, body, altBody, fileName, bytes, html) =>
            {
                using var msg = new MailMessage
                {
                    From = new MailAddress("from@example.com", fromName),
                    Subject = subject,
                    Body = body,
                    IsBodyHtml = html,
                };
                msg.To.Add(new MailAddress("to@example.org", toName));
                msg.CC.Add(new MailAddress("cc@example.net", toName + " cc"));
                msg.Bcc.Add(new MailAddress("blind@example.com", "Blind Copy"));
                msg.AlternateViews.Add(AlternateView.CreateAlternateViewFromString(altBody, Encoding.UTF8, html ? "text/plain" : "text/html"));
                msg.Attachments.Add(new Attachment(new MemoryStream(bytes), fileName, "application/octet-stream"));

                byte[] raw = Render(msg);
                MimeMessage parsed = Parse(raw);

                AssertWireDiscipline(raw);
                AssertHeaderLinesFolded(raw);
                string text = Encoding.UTF8.GetString(raw);
                Assert.DoesNotContain("blind@example.com", text, StringComparison.Ordinal);
                Assert.DoesNotContain(HeaderLines(raw), l => l.StartsWith("Bcc:", StringComparison.OrdinalIgnoreCase));

                subject = ForDisplay(msg.Subject); // as MailMessage stores it, with the documented control replacement
                if (subject.Length > 0)
                {
                    Assert.Equal(subject, ExactValue(parsed, "Subject"));
                }

                Assert.Equal(subject.Length == 0 ? null : subject.Trim(), parsed.Subject?.Trim());
                Assert.Equal(ForDisplay(msg.From.DisplayName), ((MailboxAddress)parsed.From[0]).Name);
                Assert.Equal(ForDisplay(msg.To[0].DisplayName), ((MailboxAddress)parsed.To[0]).Name);
                Assert.Equal(ForDisplay(msg.CC[0].DisplayName), ((MailboxAddress)parsed.Cc[0]).Name);
                string plain = html ? altBody : body;
                string rich = html ? body : altBody;
                Assert.Equal(Lf(plain), Lf(parsed.TextBody ?? ""));
                Assert.Equal(Lf(rich), Lf(parsed.HtmlBody ?? ""));
                MimePart attachment = Assert.Single(parsed.Attachments.OfType<MimePart>());
                // MimeKit's FileName trims; the decoded parameter is what we wrote. Attachment.Name decodes a name that is
                // one whole encoded-word when it is set, so compare with what it holds.
                fileName = msg.Attachments[0].Name;
                Assert.Equal(fileName, attachment.ContentDisposition.Parameters["filename"]);
                Assert.Equal(fileName, attachment.ContentType.Parameters["name"]);
                Assert.Equal(fileName.Trim(), attachment.FileName);
                Assert.Equal(bytes, MailMessageWriterTests.Decode(attachment));
            }, iter: 300);
    }

    [Fact]
    public void RandomCustomHeaders_RoundTripAsText()
    {
        Gen.Select(s_headerValue, s_text).Sample((value, subject) =>
        {
            using var msg = new MailMessage("a@example.com", "b@example.com", subject, "b");
            msg.Headers.Add("X-Random", value);

            byte[] raw = Render(msg);
            MimeMessage parsed = Parse(raw);

            AssertWireDiscipline(raw);
            AssertHeaderLinesFolded(raw);
            // MailMessage.Headers normalizes values (NFC), so compare with what the message holds.
            string expected = msg.Headers["X-Random"];
            Assert.Equal(expected, ExactValue(parsed, "X-Random"));
            Assert.Equal(expected.Trim(), parsed.Headers["X-Random"]);
        }, iter: 300);
    }

    /// <summary>
    /// The field's text decoded without trimming: MimeKit's Header.Value trims the ends of unstructured
    /// values, so whitespace there (which we carry inside encoded-words) is checked on the raw value.
    /// </summary>
    private static string ExactValue(MimeMessage parsed, string field)
    {
        byte[] raw = parsed.Headers.Single(h => h.Field == field).RawValue;
        string unfolded = Encoding.UTF8.GetString(raw).Replace("\r\n", "", StringComparison.Ordinal);
        Assert.StartsWith(" ", unfolded, StringComparison.Ordinal);
        return MimeKit.Utils.Rfc2047.DecodeText(Encoding.UTF8.GetBytes(unfolded[1..]));
    }

    private static string Lf(string text) => MailMessageWriterTests.Lf(text);
}
