using System.Net.Mail;
using System.Text;
using ModernMail.Mime.Internal;

namespace ModernMail.Mime;

/// <summary>Writes a <see cref="MailMessage"/> as RFC 5322 / MIME bytes, streaming attachments in chunks.</summary>
public static class MailMessageWriter
{
    private const int MaxDomainLength = 253;

    /// <summary>Writes <paramref name="message"/> to <paramref name="destination"/> (CRLF line breaks, not dot-stuffed, always ending with CRLF).</summary>
    /// <remarks>
    /// <para>The output always ends with CRLF, as SMTP DATA requires: a single-part body that does not end with a line break
    /// gets one, so the rendered, signed and delivered bytes are the same.</para>
    /// <para>Header order: Date, Message-ID, From, Sender, Reply-To, To, Cc, Subject, MIME-Version, the custom
    /// <see cref="MailMessage.Headers"/>, priority (X-Priority, Priority, Importance), then Content-*. Bcc is never written.</para>
    /// <para>Custom headers: Date and Message-ID replace the generated ones (first value); In-Reply-To and
    /// References keep their first value; X-Priority, Priority and Importance are replaced when <see cref="MailMessage.Priority"/>
    /// is not Normal; every other header is written, every value, non-ASCII text as RFC 2047 encoded-words. The fields the
    /// composer owns are refused (see <see cref="MailMessageValidator.Validate"/>): From, Sender, Reply-To, To, Cc, Bcc,
    /// Subject, MIME-Version, Content-Type/-Transfer-Encoding/-Disposition/-ID, DKIM-Signature and ARC-*, so two
    /// conflicting copies are never written. A MailMessage that SmtpClient has sent holds such fields and must not be reused.</para>
    /// <para>Output is 7-bit unless <see cref="MailWriterOptions.Allow8Bit"/> lets text bodies go 8bit, or an address
    /// has a non-ASCII local part (written as UTF-8 per RFC 6532; see <see cref="MailMessageValidator.RequiresSmtpUtf8"/>).</para>
    /// <para>Seekable content streams are rewound and read from the start (text views may be read twice, once to choose
    /// the transfer encoding); non-seekable ones are read once from where they are, so such a message can be written once.
    /// AlternateView.TransferEncoding is honoured for QuotedPrintable, SevenBit and EightBit when the content allows it;
    /// Base64 is .NET's default for views and so means "choose". Reading the ContentId of a linked resource or inline
    /// attachment that has none makes .NET invent a GUID: set it for deterministic output.</para>
    /// <para>Display names and the subject never decode to a control character: each run of TAB, CR, LF and other line
    /// breaks (VT, FF, NEL, U+2028, U+2029) becomes one space and every other control character (C0, DEL, C1) is
    /// dropped; a display name left empty is not written.</para>
    /// <para>Text that a decoder would take for an RFC 2047 encoded-word (anything holding "=?") in a display name, the
    /// subject, a custom header or a file name is encoded itself (RFC 2047, or RFC 2231 for parameters), never quoted,
    /// so the reader sees the literal text. .NET's MailMessage.Subject and Attachment.Name decode a value that is one
    /// whole encoded-word when it is set; the decoded text they hold is what is written.</para>
    /// <para>Text is always written as UTF-8: SubjectEncoding, HeadersEncoding and BodyEncoding are ignored
    /// (an AlternateView keeps the charset of its own bytes). Attachments and linked resources are base64, except message/*
    /// ones (not message/global), which go 7bit, or 8bit with <see cref="MailWriterOptions.Allow8Bit"/>, line breaks made CRLF
    /// (RFC 2045 §6.4); content that cannot (NUL, a line over 998 octets, 8-bit bytes without Allow8Bit) is refused.
    /// multipart/* is refused for views, linked resources and attachments.</para>
    /// </remarks>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="MailMessageFormatException">A field cannot be written safely (see <see cref="MailMessageValidator.Validate"/>) or the host name is invalid; nothing has been written.</exception>
    public static async Task WriteAsync(MailMessage message, Stream destination, MailWriterOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(destination);
        ArgumentNullException.ThrowIfNull(options);
        MailMessageValidator.Validate(message);
        string host = CheckHostName(options.HostName);

        var random = new MimeRandom(options.Random);
        var headers = new StringBuilder(1024);
        AppendMessageHeaders(new HeaderFolder(headers), message, options, host, random);
        MimeEntity root = MimeTreeBuilder.Build(message, random);
        await root.PrepareAsync(options.Allow8Bit, cancellationToken).ConfigureAwait(false);
        root.AppendHeaders(new HeaderFolder(headers));
        headers.Append("\r\n");

        using var writer = new BufferedStreamWriter(destination);
        await writer.WriteAsync(headers.ToString(), cancellationToken).ConfigureAwait(false);
        await root.WriteBodyAsync(writer, cancellationToken).ConfigureAwait(false);

        // SMTP DATA ends the message with CRLF anyway (RFC 5321 §4.1.1.4); writing it here keeps the bytes we render,
        // the bytes DKIM signs and the bytes the receiver verifies the same.
        if (!writer.EndsWithLineBreak)
        {
            await writer.WriteAsync("\r\n", cancellationToken).ConfigureAwait(false);
        }

        await writer.FlushAsync(cancellationToken).ConfigureAwait(false);
        await destination.FlushAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string CheckHostName(string? hostName)
    {
        if (string.IsNullOrEmpty(hostName) || hostName.AsSpan().ContainsAnyInRange('\0', ' ') || hostName.AsSpan().IndexOfAny("<>@\u007F") >= 0)
        {
            throw new MailMessageFormatException("HostName", "The host name must be a domain name without spaces or control characters.");
        }

        string ascii = AddressFormatter.Domain(hostName, "HostName");
        if (ascii.Length > MaxDomainLength)
        {
            throw new MailMessageFormatException("HostName", $"A domain name is at most {MaxDomainLength} characters (RFC 1035 §2.3.4).");
        }

        return ascii;
    }

    private static void AppendMessageHeaders(HeaderFolder folder, MailMessage message, MailWriterOptions options, string host, MimeRandom random)
    {
        string? customDate = First(message, "Date");
        string? customMessageId = First(message, "Message-ID");

        VerbatimField(folder, "Date", customDate ?? DateFormatter.Format(options.TimeProvider.GetLocalNow()));
        VerbatimField(folder, "Message-ID", customMessageId ?? "<" + random.Token(24) + "@" + host + ">");

        // Validate has checked From.
        AddressFormatter.AppendField(folder, "From", [message.From!], indexed: false);
        if (message.Sender is not null)
        {
            AddressFormatter.AppendField(folder, "Sender", [message.Sender], indexed: false);
        }

        if (message.ReplyToList.Count > 0)
        {
            AddressFormatter.AppendField(folder, "Reply-To", message.ReplyToList, indexed: true);
        }

        if (message.To.Count > 0)
        {
            AddressFormatter.AppendField(folder, "To", message.To, indexed: true);
        }

        if (message.CC.Count > 0)
        {
            AddressFormatter.AppendField(folder, "Cc", message.CC, indexed: true);
        }

        string subject = CharacterRules.ForDisplay(message.Subject ?? "");
        if (subject.Length > 0)
        {
            folder.Begin("Subject");
            EncodedWords.AppendUnstructured(folder, subject);
            folder.End();
        }

        folder.Field("MIME-Version", "1.0");
        AppendCustomHeaders(folder, message);

        if (message.Priority != MailPriority.Normal)
        {
            bool high = message.Priority == MailPriority.High;
            folder.Field("X-Priority", high ? "1" : "5");
            folder.Field("Priority", high ? "urgent" : "non-urgent");
            folder.Field("Importance", high ? "high" : "low");
        }
    }

    private static void AppendCustomHeaders(HeaderFolder folder, MailMessage message)
    {
        foreach (string? name in message.Headers.AllKeys)
        {
            if (name is null)
            {
                continue;
            }

            HeaderPolicy.Action action = HeaderPolicy.Classify(name);
            if (action is HeaderPolicy.Action.Refuse or HeaderPolicy.Action.Override
                || (action == HeaderPolicy.Action.Priority && message.Priority != MailPriority.Normal))
            {
                continue;
            }

            bool structured = HeaderPolicy.RequiresAscii(name);
            foreach (string value in message.Headers.GetValues(name) ?? [])
            {
                folder.Begin(name);
                folder.ErrorField = "Headers[" + name + "]";
                if (structured)
                {
                    folder.AppendVerbatim(value);
                }
                else
                {
                    EncodedWords.AppendUnstructured(folder, value);
                }

                folder.End();
                if (action == HeaderPolicy.Action.KeepFirst)
                {
                    break;
                }
            }
        }
    }

    private static void VerbatimField(HeaderFolder folder, string name, string value)
    {
        folder.Begin(name);
        folder.ErrorField = "Headers[" + name + "]";
        folder.AppendVerbatim(value);
        folder.End();
    }

    private static string? First(MailMessage message, string name)
        => message.Headers.GetValues(name) is [var first, ..] && first.Length > 0 ? first : null;
}
