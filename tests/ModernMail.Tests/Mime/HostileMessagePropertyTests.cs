// MimeKit's nullable annotations make every parsed-tree lookup noisy; the assertions cover nulls.
#nullable disable
using System.Globalization;
using System.Net.Mail;
using System.Text;
using CsCheck;
using MimeKit;
using ModernMail.Mime;
using Xunit;
using static ModernMail.Tests.Mime.MimeTestSupport;
using ContentDisposition = MimeKit.ContentDisposition;
using ContentType = MimeKit.ContentType;

namespace ModernMail.Tests.Mime;

/// <summary>
/// Every field gets hostile input (long tokens, C0/C1 controls, Unicode separators, literal encoded-words, composite media
/// types). Each message is either refused naming one of the fields the rules (restated here) refuse, or written so that a
/// strict MimeKit parse finds no defect and decodes to what the sender wrote, after the documented control replacement.
/// </summary>
public class HostileMessagePropertyTests
{
    private static readonly ParserOptions s_strict = new()
    {
        AddressParserComplianceMode = RfcComplianceMode.Strict,
        ParameterComplianceMode = RfcComplianceMode.Strict,
        Rfc2047ComplianceMode = RfcComplianceMode.Strict,
        AllowAddressesWithoutDomain = false,
        AllowUnquotedCommasInAddresses = false,
    };

    private static readonly IdnMapping s_idn = new();

    private static readonly Gen<string> s_hostile = Gen.OneOfConst(HostileText.Pieces).Array[1, 6].Select(string.Concat);

    // Hostile but writable in a file name or custom header value; now and then with a piece that must be refused.
    private static readonly Gen<string> s_mostlyWritable = Gen.Frequency(
        (12, Gen.OneOfConst([.. HostileText.Pieces.Where(p => !HostileText.RefusedInName(p))]).Array[1, 6].Select(string.Concat)),
        (1, s_hostile));

    private static readonly Gen<string> s_displayName = Gen.Frequency((1, Gen.Const("")), (5, s_hostile));

    // Short dot-atoms, dot-atoms around the 985-octet limit of an addr-spec, quoted forms, and refused characters.
    private static readonly Gen<string> s_localPart = Gen.Frequency(
        (20, Gen.Char['a', 'z'].Array[1, 12].Select(c => new string(c))),
        (3, Gen.Int[940, 1000].Select(n => new string('l', n))),
        (4, Gen.OneOfConst("\"a b\"", "bob.", "first.last", "o'hara", "josé", "\"=?utf-8?q?x?=\"")),
        (1, Gen.OneOfConst("\u0085", "\u2028", "\u2029", "\u202e", "\u200b", "\u0080", "\u00ad", "\u009b").Select(bad => "bo" + bad + "b")));

    private static readonly Gen<string> s_domain = Gen.Frequency(
        (30, Gen.OneOfConst("example.com", "bücher.example", "sub.example.org", "[127.0.0.1]")),
        (1, Gen.OneOfConst("example.test.", "exa\u0085mple.test", "exa\u2028mple.test")));

    private static readonly Gen<(string Local, string Domain, string Name)> s_address = Gen.Select(s_localPart, s_domain, s_displayName);

    private static readonly Gen<string> s_headerName = Gen.Frequency(
        (20, Gen.OneOfConst("X-Note", "Comments", "Keywords")),
        (1, Gen.OneOfConst("DKIM-Signature", "MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Bcc", "To", "ARC-Seal")));

    private static readonly Gen<string> s_messageId = Gen.Frequency(
        (4, Gen.Const((string)null)),
        (2, Gen.Const("<id.1@example.com>")),
        (1, Gen.Int[960, 1000].Select(n => "<" + new string('m', n) + "@example.com>")));

    private static readonly Gen<string> s_contentId = Gen.Frequency(
        (4, Gen.Const((string)null)),
        (2, Gen.Const("img1@example.com")),
        (1, Gen.Int[960, 1000].Select(n => new string('c', n) + "@example.com")));

    private static readonly Gen<string> s_composite = Gen.Frequency(
        (4, Gen.OneOfConst("none", "rfc822-7bit")),
        (2, Gen.OneOfConst("rfc822-8bit", "message/global")),
        (1, Gen.OneOfConst("rfc822-long-line", "rfc822-nul", "multipart/mixed", "multipart/alternative")));

    private static readonly Gen<string> s_body = Gen.Frequency(
        (2, s_hostile),
        (1, Gen.OneOfConst("no final break", "ends with a break\n", "")));

    private sealed record Input(
        (string Local, string Domain, string Name)[] Addresses,
        string Subject,
        string HeaderName,
        string HeaderValue,
        string MessageId,
        string FileName,
        string ContentId,
        string Composite,
        string Body,
        bool Allow8Bit);

    private static readonly Gen<Input> s_input =
        Gen.Select(s_address.Array[6], s_hostile, s_headerName, s_mostlyWritable, s_messageId, s_mostlyWritable, s_contentId)
            .Select(Gen.Select(s_composite, s_body, Gen.Bool), (a, b) => new Input(a.Item1, a.Item2, a.Item3, a.Item4, a.Item5, a.Item6, a.Item7, b.Item1, b.Item2, b.Item3));

    private static readonly string[] s_addressFields = ["From", "Sender", "Reply-To[0]", "To[0]", "Cc[0]", "Bcc[0]"];

    [Fact]
    public void HostileFields_RefusedNamingAField_OrParsedStrictlyAsWritten()
    {
        int written = 0, refusals = 0;
        s_input.Sample(input =>
        {
            using var built = Build(input, out HashSet<string> refused, out Expected expected);
            MailMessage msg = built.Message;
            MailWriterOptions options = DeterministicOptions(allow8Bit: input.Allow8Bit);
            if (refused.Count > 0)
            {
                var e = Assert.Throws<MailMessageFormatException>(() => Render(msg, options));
                Assert.True(refused.Contains(e.Field), $"refused {e.Field} ({e.Message}); expected one of {string.Join(", ", refused)}");
                Interlocked.Increment(ref refusals);
                return;
            }

            byte[] raw = Render(msg, options);
            AssertWireDiscipline(raw, input.Allow8Bit || MailMessageValidator.RequiresSmtpUtf8(msg)); // RFC 6532 headers for josé@
            AssertHeaderLinesFolded(raw);
            Verify(raw, msg, expected);
            Interlocked.Increment(ref written);
        }, iter: 1000);

        // Both outcomes must be exercised, or the property proves nothing.
        Assert.True(written > 100 && refusals > 100, $"{written} written, {refusals} refused");
    }

    private sealed record Expected(string Composite, byte[] Inner, bool Inline);

    private sealed class Built(MailMessage message) : IDisposable
    {
        public MailMessage Message { get; } = message;

        public void Dispose() => Message.Dispose();
    }

    private static Built Build(Input input, out HashSet<string> refused, out Expected expected)
    {
        refused = [];
        var msg = new MailMessage { Body = input.Body };
        var built = new Built(msg);
        for (int i = 0; i < s_addressFields.Length; i++)
        {
            (string local, string domain, string name) = input.Addresses[i];
            if (i == 5 && !local.StartsWith('"'))
            {
                local = "blind" + local; // so the test can look for it anywhere in the output
            }

            MailAddress address = TryAddress(local + "@" + domain, name) ?? new MailAddress($"fallback{i}@example.com", name);
            if (AddressRefused(address))
            {
                refused.Add(s_addressFields[i]);
            }

            switch (i)
            {
                case 0: msg.From = address; break;
                case 1: msg.Sender = address; break;
                case 2: msg.ReplyToList.Add(address); break;
                case 3: msg.To.Add(address); break;
                case 4: msg.CC.Add(address); break;
                default: msg.Bcc.Add(address); break;
            }
        }

        // MailMessage refuses CR and LF in a subject itself.
        msg.Subject = input.Subject.Replace("\r", "", StringComparison.Ordinal).Replace("\n", "", StringComparison.Ordinal);

        if (TryAddHeader(msg, input.HeaderName, input.HeaderValue))
        {
            string stored = msg.Headers[input.HeaderName];
            if (input.HeaderName is not ("X-Note" or "Comments" or "Keywords") || HostileText.RefusedInHeaderValue(stored))
            {
                refused.Add($"Headers[{input.HeaderName}]");
            }
        }

        if (input.MessageId is not null)
        {
            msg.Headers.Add("Message-ID", input.MessageId);
            if ("Message-ID".Length + 2 + input.MessageId.Length + 1 > 998)
            {
                refused.Add("Headers[Message-ID]");
            }
        }

        var attachment = new Attachment(new MemoryStream([1, 2, 3, 0, 255]), "file.bin", "application/octet-stream");
        attachment.ContentDisposition.FileName = input.FileName;
        if (HostileText.RefusedInName(input.FileName))
        {
            refused.Add("Attachments[0].Name");
        }

        if (input.ContentId is not null)
        {
            attachment.ContentDisposition.Inline = true;
            try
            {
                attachment.ContentId = input.ContentId;
            }
            catch (ArgumentException)
            {
                // System.Net.Mail itself cannot serialize a file name like "=?x?q?a?=" (unknown charset) once it has
                // to build the part's headers, as setting or reading ContentId does: the writer reports that file name.
                refused.Add("Attachments[0].Name");
            }

            if ("Content-ID".Length + 2 + input.ContentId.Length + 2 + 1 > 998)
            {
                refused.Add("Attachments[0].ContentId");
            }
        }

        msg.Attachments.Add(attachment);
        byte[] inner = [];
        switch (input.Composite)
        {
            case "none":
                break;
            case "multipart/mixed" or "multipart/alternative":
                msg.Attachments.Add(new Attachment(new MemoryStream("--b\r\n\r\nx\r\n--b--\r\n"u8.ToArray()), "parts", input.Composite));
                refused.Add("Attachments[1].ContentType");
                break;
            default:
                string text = "From: x@example.org\nSubject: Inner\n\n" + input.Composite switch
                {
                    "rfc822-8bit" or "message/global" => "Grüße\n",
                    "rfc822-long-line" => new string('z', 1200) + "\n",
                    "rfc822-nul" => "nul\0here\n",
                    _ => ".leading dot\nplain\n",
                };
                inner = Encoding.UTF8.GetBytes(text);
                string type = input.Composite == "message/global" ? "message/global" : "message/rfc822";
                msg.Attachments.Add(new Attachment(new MemoryStream(inner), "inner.eml", type));
                if (input.Composite is "rfc822-long-line" or "rfc822-nul" || (input.Composite == "rfc822-8bit" && !input.Allow8Bit))
                {
                    refused.Add("Attachments[1].ContentStream");
                }

                break;
        }

        expected = new Expected(input.Composite, inner, input.ContentId is not null);
        return built;
    }

    private static void Verify(byte[] raw, MailMessage msg, Expected expected)
    {
        using var stream = new MemoryStream(raw);
        MimeMessage parsed = MimeMessage.Load(s_strict, stream);

        AssertMailbox(parsed, "From", msg.From);
        AssertMailbox(parsed, "Sender", msg.Sender);
        AssertMailbox(parsed, "Reply-To", msg.ReplyToList[0]);
        AssertMailbox(parsed, "To", msg.To[0]);
        AssertMailbox(parsed, "Cc", msg.CC[0]);
        Assert.DoesNotContain(parsed.Headers, h => h.Field.Equals("Bcc", StringComparison.OrdinalIgnoreCase));
        if (msg.Bcc[0].User.StartsWith("blind", StringComparison.Ordinal))
        {
            Assert.DoesNotContain(msg.Bcc[0].User + "@", Encoding.UTF8.GetString(raw), StringComparison.Ordinal);
        }

        string subject = ForDisplay(msg.Subject);
        if (subject.Length == 0)
        {
            Assert.Null(parsed.Headers[HeaderId.Subject]);
        }
        else
        {
            Assert.Equal(subject, Decoded(parsed, "Subject", phrase: false));
        }

        foreach (string name in new[] { "X-Note", "Comments", "Keywords" })
        {
            if (msg.Headers[name] is { } value)
            {
                Assert.Equal(value, Decoded(parsed, name, phrase: false));
            }
        }

        if (msg.Headers["Message-ID"] is { } messageId)
        {
            Assert.Equal(messageId[1..^1], parsed.MessageId);
        }

        MimePart file = parsed.BodyParts.OfType<MimePart>().Single(p => p.ContentType.MimeType == "application/octet-stream");
        string fileName = msg.Attachments[0].ContentDisposition.FileName;
        Assert.True(ContentDisposition.TryParse(s_strict, file.Headers.First(h => h.Id == HeaderId.ContentDisposition).RawValue, out ContentDisposition disposition));
        Assert.Equal(fileName, disposition.Parameters["filename"]);
        Assert.True(ContentType.TryParse(s_strict, file.Headers.First(h => h.Id == HeaderId.ContentType).RawValue, out ContentType type));
        Assert.Equal(fileName, type.Parameters["name"]);
        Assert.Equal(expected.Inline ? "inline" : "attachment", disposition.Disposition);
        if (expected.Inline)
        {
            Assert.Equal(msg.Attachments[0].ContentId, file.ContentId);
        }

        Assert.Equal([1, 2, 3, 0, 255], MailMessageWriterTests.Decode(file));

        switch (expected.Composite)
        {
            case "rfc822-7bit" or "rfc822-8bit":
                MessagePart inner = Assert.Single(parsed.BodyParts.OfType<MessagePart>());
                Assert.Equal(expected.Composite[^4..], inner.Headers[HeaderId.ContentTransferEncoding]);
                Assert.Equal("Inner", inner.Message.Subject);
                Assert.Contains(Encoding.UTF8.GetString(expected.Inner).Replace("\n", "\r\n", StringComparison.Ordinal), Encoding.UTF8.GetString(raw), StringComparison.Ordinal);
                break;
            case "message/global":
                Assert.Contains(parsed.BodyParts, p => p.ContentType.MimeType == "message/global");
                break;
        }

        string body = parsed.TextBody ?? "";
        Assert.Equal(MailMessageWriterTests.Lf(msg.Body), MailMessageWriterTests.Lf(body));
    }

    private static void AssertMailbox(MimeMessage parsed, string field, MailAddress address)
    {
        Header header = parsed.Headers.Single(h => h.Field == field);
        Assert.True(InternetAddressList.TryParse(s_strict, header.RawValue, out InternetAddressList list), $"{field}: {Encoding.UTF8.GetString(header.RawValue)}");
        MailboxAddress mailbox = Assert.Single(list.Mailboxes);
        string name = ForDisplay(address.DisplayName);
        Assert.Equal(name, mailbox.Name ?? "");
        Assert.DoesNotContain(mailbox.Name ?? "", HostileText.IsControl);
        Assert.Equal(Unquote(address.User), Unquote(mailbox.LocalPart));
        Assert.Equal(Ascii(address.Host), Ascii(mailbox.Domain));
    }

    /// <summary>The field decoded without MimeKit's trimming (whitespace at the ends travels inside encoded-words).</summary>
    private static string Decoded(MimeMessage parsed, string field, bool phrase)
    {
        byte[] raw = parsed.Headers.Single(h => h.Field == field).RawValue;
        string unfolded = Encoding.UTF8.GetString(raw).Replace("\r\n", "", StringComparison.Ordinal);
        Assert.StartsWith(" ", unfolded, StringComparison.Ordinal);
        byte[] value = Encoding.UTF8.GetBytes(unfolded[1..]);
        return phrase ? MimeKit.Utils.Rfc2047.DecodePhrase(s_strict, value) : MimeKit.Utils.Rfc2047.DecodeText(s_strict, value);
    }

    private static bool AddressRefused(MailAddress address)
    {
        if (HostileText.RefusedInAddress(address.Address) || address.Host.EndsWith('.'))
        {
            return true;
        }

        // An addr-spec cannot be folded: "Reply-To: <spec>," must fit in 998 octets.
        int spec = Encoding.UTF8.GetByteCount(address.User) + 1 + Ascii(address.Host).Length;
        return "Reply-To".Length + 2 + spec + 2 + 1 > 998;
    }

    private static MailAddress TryAddress(string address, string displayName)
    {
        try
        {
            return new MailAddress(address, displayName);
        }
        catch (FormatException)
        {
            return null;
        }
    }

    private static bool TryAddHeader(MailMessage msg, string name, string value)
    {
        try
        {
            msg.Headers.Add(name, value);
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static string Unquote(string local)
    {
        if (local.Length < 2 || local[0] != '"' || local[^1] != '"')
        {
            return local;
        }

        var sb = new StringBuilder();
        for (int i = 1; i < local.Length - 1; i++)
        {
            if (local[i] == '\\' && i + 1 < local.Length - 1)
            {
                i++;
            }

            sb.Append(local[i]);
        }

        return sb.ToString();
    }

    private static string Ascii(string domain) => domain.StartsWith('[') || System.Text.Ascii.IsValid(domain) ? domain.ToLowerInvariant() : s_idn.GetAscii(domain).ToLowerInvariant();
}
