using System.Net.Mail;
using ModernMail.Mime.Internal;

namespace ModernMail.Mime;

/// <summary>Checks a <see cref="MailMessage"/> before any I/O: every field must be writable without injecting header lines.</summary>
public static class MailMessageValidator
{
    // Like header names: keeps every "; name*N*=..." segment of a parameter well inside one line.
    private const int MaxParameterNameLength = 76;

    /// <summary>Throws when a field of <paramref name="message"/> cannot be written safely.</summary>
    /// <remarks>
    /// Per field: From is required. Addresses (From, Sender, Reply-To, To, Cc, Bcc) must not contain control characters
    /// (C0, DEL, C1 such as U+0085), line or paragraph separators (U+2028, U+2029) or format characters (bidirectional
    /// controls, zero-width characters), their domains must be valid IDNs and must not end with '.'. The same rules
    /// guard the SMTP envelope. Display names and Subject accept anything: runs of TAB and line breaks are written as
    /// one space and other control characters are dropped (see <see cref="MailMessageWriter.WriteAsync"/>).
    /// Custom headers cannot be the fields the composer owns: From, Sender, Reply-To, To, Cc, Bcc, Subject (the properties
    /// write them), MIME-Version, Content-Type, -Transfer-Encoding, -Disposition, -ID (the MIME structure writes them),
    /// DKIM-Signature and the ARC set (they could not be valid for the body we compose).
    /// Custom header names must be RFC 5322 ftext (printable ASCII except ':'), at most 76 characters; values must not
    /// contain control characters other than TAB, line separators or bidirectional controls; Date, Message-ID,
    /// In-Reply-To and References values must be printable ASCII. Attachment file names and Content-Type parameters
    /// must not contain control characters, line separators or bidirectional controls (which would make a reader see
    /// another name, "evil\u202Etxt.exe"); Content-IDs must be printable ASCII without spaces or angle brackets.
    /// No line may pass 998 octets (RFC 5322 §2.1.1): text is folded at whitespace or encoded, and what has no place to
    /// fold (an address, a Content-ID, a media type, a word of a Date, Message-ID, In-Reply-To or References value) must
    /// fit on one line; parameter names are at most 76 characters.
    /// A view, linked resource or attachment cannot be multipart/* (the writer builds that structure); a message/* one
    /// (other than message/global) is sent 7bit or 8bit as RFC 2045 §6.4 demands, so its stream must be seekable, and the
    /// writer refuses content with NUL, lines over 998 octets, or 8-bit bytes without <see cref="MailWriterOptions.Allow8Bit"/>.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    /// <exception cref="MailMessageFormatException">A field cannot be written; <see cref="MailMessageFormatException.Field"/> names it.</exception>
    public static void Validate(MailMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.From is null)
        {
            throw new MailMessageFormatException("From", "A message needs a From address.");
        }

        CheckAddress(message.From, "From");
        if (message.Sender is not null)
        {
            CheckAddress(message.Sender, "Sender");
        }

        CheckAddresses(message.ReplyToList, "Reply-To");
        CheckAddresses(message.To, "To");
        CheckAddresses(message.CC, "Cc");
        CheckAddresses(message.Bcc, "Bcc");

        foreach (string? name in message.Headers.AllKeys)
        {
            if (name is null)
            {
                continue;
            }

            string field = "Headers[" + name + "]";
            if (name.Length is 0 or > 76 || name.AsSpan().ContainsAnyExceptInRange('!', '~') || name.Contains(':', StringComparison.Ordinal))
            {
                throw new MailMessageFormatException(field, "A header name must be 1 to 76 printable ASCII characters without ':'.");
            }

            if (HeaderPolicy.Classify(name) == HeaderPolicy.Action.Refuse)
            {
                throw new MailMessageFormatException(field, HeaderPolicy.RefusalReason(name));
            }

            bool ascii = HeaderPolicy.RequiresAscii(name);
            foreach (string value in message.Headers.GetValues(name) ?? [])
            {
                if (CharacterRules.IndexOfUnsafeInHeaderValue(value) is >= 0 and int at)
                {
                    throw new MailMessageFormatException(field, $"A header value must not contain control characters other than TAB, line separators or bidirectional controls ({CharacterRules.Describe(value, at)}).");
                }

                if (ascii && value.AsSpan().ContainsAnyExceptInRange(' ', '~'))
                {
                    throw new MailMessageFormatException(field, "This header value must be printable ASCII.");
                }

                // Structured values are written as they are, folded only at their whitespace.
                if (ascii && value.Split(' ').Any(token => !HeaderFolder.FitsOnOneLine(name, token)))
                {
                    throw new MailMessageFormatException(field, $"Text without spaces longer than a {HeaderFolder.MaxLineLength}-octet line (RFC 5322 §2.1.1) cannot be folded.");
                }
            }
        }

        for (int i = 0; i < message.AlternateViews.Count; i++)
        {
            AlternateView view = message.AlternateViews[i];
            CheckParameters(view.ContentType, $"AlternateViews[{i}].ContentType");
            CheckMediaType(view, $"AlternateViews[{i}]");
            for (int j = 0; j < view.LinkedResources.Count; j++)
            {
                LinkedResource resource = view.LinkedResources[j];
                CheckParameters(resource.ContentType, $"AlternateViews[{i}].LinkedResources[{j}].ContentType");
                CheckMediaType(resource, $"AlternateViews[{i}].LinkedResources[{j}]");
                CheckContentId(ReadContentId(resource, $"AlternateViews[{i}].LinkedResources[{j}].ContentType"), $"AlternateViews[{i}].LinkedResources[{j}].ContentId");
            }
        }

        for (int i = 0; i < message.Attachments.Count; i++)
        {
            Attachment attachment = message.Attachments[i];
            if (MimeTreeBuilder.FileName(attachment) is { } fileName && CharacterRules.IndexOfUnsafeInName(fileName) is >= 0 and int at)
            {
                throw new MailMessageFormatException($"Attachments[{i}].Name", $"A file name must not contain control characters, line separators or bidirectional controls ({CharacterRules.Describe(fileName, at)}).");
            }

            CheckParameters(attachment.ContentType, $"Attachments[{i}].ContentType");
            CheckMediaType(attachment, $"Attachments[{i}]");

            if (attachment.ContentDisposition?.Inline == true)
            {
                CheckContentId(ReadContentId(attachment, $"Attachments[{i}].Name"), $"Attachments[{i}].ContentId");
            }
        }
    }

    /// <summary>Whether delivering <paramref name="message"/> needs the SMTPUTF8 extension (RFC 6531): some address has a non-ASCII local part.</summary>
    /// <remarks>Non-ASCII domains do not count: they are written as A-labels. Bcc counts because it is in the envelope.</remarks>
    /// <exception cref="ArgumentNullException"><paramref name="message"/> is null.</exception>
    public static bool RequiresSmtpUtf8(MailMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return NonAsciiUser(message.From) || NonAsciiUser(message.Sender)
            || message.ReplyToList.Any(NonAsciiUser) || message.To.Any(NonAsciiUser)
            || message.CC.Any(NonAsciiUser) || message.Bcc.Any(NonAsciiUser);
    }

    /// <summary>Throws when <paramref name="address"/> cannot be written into the <paramref name="field"/> header or an SMTP command.</summary>
    /// <exception cref="MailMessageFormatException">The address holds control characters or an invalid domain.</exception>
    public static void CheckAddress(MailAddress address, string field)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (CharacterRules.AddressProblem(address) is { } problem)
        {
            throw new MailMessageFormatException(field, problem);
        }

        // An addr-spec has no place to fold: the longest address field must hold it on one line.
        if (!HeaderFolder.FitsOnOneLine("Reply-To", "<" + AddressFormatter.AddrSpec(address, field) + ">"))
        {
            throw new MailMessageFormatException(field, $"An address cannot be folded, so it must fit on a {HeaderFolder.MaxLineLength}-octet line (RFC 5322 §2.1.1).");
        }
    }

    private static bool NonAsciiUser(MailAddress? address) => address is not null && !System.Text.Ascii.IsValid(address.User);

    private static void CheckAddresses(MailAddressCollection addresses, string field)
    {
        for (int i = 0; i < addresses.Count; i++)
        {
            CheckAddress(addresses[i], $"{field}[{i}]");
        }
    }

    private static void CheckParameters(System.Net.Mime.ContentType type, string field)
    {
        if (!HeaderFolder.FitsOnOneLine("Content-Type", type.MediaType))
        {
            throw new MailMessageFormatException(field, $"The media type does not fit on a {HeaderFolder.MaxLineLength}-octet line (RFC 5322 §2.1.1).");
        }

        foreach (string key in type.Parameters.Keys)
        {
            if (key.Length > MaxParameterNameLength)
            {
                throw new MailMessageFormatException(field, $"Parameter names are at most {MaxParameterNameLength} characters, so every line of the field can be folded.");
            }

            string value = type.Parameters[key] ?? "";
            if (CharacterRules.IndexOfUnsafeInName(key) >= 0 || CharacterRules.IndexOfUnsafeInName(value) is >= 0 and int at)
            {
                throw new MailMessageFormatException(field, $"Parameter '{key}' must not contain control characters, line separators or bidirectional controls.");
            }
        }
    }

    private static void CheckMediaType(System.Net.Mail.AttachmentBase part, string field)
    {
        string mediaType = part.ContentType.MediaType;
        if (MediaTypeRules.IsMultipart(mediaType))
        {
            throw new MailMessageFormatException(field + ".ContentType", $"A part cannot be {mediaType}: the writer builds the multipart structure from the message's body, views and attachments, and a stream given as multipart would have no boundary. Attach it as a leaf type (for example application/octet-stream).");
        }

        if (MediaTypeRules.IsIdentityOnly(mediaType) && !part.ContentStream.CanSeek)
        {
            throw new MailMessageFormatException(field + ".ContentStream", $"{mediaType} content cannot be base64-encoded (RFC 2045 §6.4), so it is checked before it is written and must be a seekable stream.");
        }
    }

    // Reading ContentId makes System.Net.Mail serialize the part's Content-Type and Content-Disposition, which throws
    // ArgumentException for a name that looks like an encoded-word with a charset .NET does not know ("=?x?q?a?=").
    private static string ReadContentId(AttachmentBase part, string field)
    {
        try
        {
            return part.ContentId;
        }
        catch (ArgumentException e)
        {
            throw new MailMessageFormatException(field, "System.Net.Mail cannot serialize this part's name (it looks like an encoded-word with an unknown charset).", e);
        }
    }

    private static void CheckContentId(string contentId, string field)
    {
        if (contentId.Length == 0 || contentId.AsSpan().ContainsAnyExceptInRange('!', '~') || contentId.AsSpan().IndexOfAny('<', '>') >= 0)
        {
            throw new MailMessageFormatException(field, "A Content-ID must be printable ASCII without spaces or angle brackets.");
        }

        if (!HeaderFolder.FitsOnOneLine("Content-ID", "<" + contentId + ">"))
        {
            throw new MailMessageFormatException(field, $"A Content-ID cannot be folded, so it must fit on a {HeaderFolder.MaxLineLength}-octet line (RFC 5322 §2.1.1).");
        }
    }
}
