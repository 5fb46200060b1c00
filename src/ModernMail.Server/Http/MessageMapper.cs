using System.Net.Mail;
using System.Net.Mime;
using System.Text;
using ModernMail.Delivery;

namespace ModernMail.Server.Http;

/// <summary>Turns a <see cref="MessageRequest"/> into a <see cref="MailMessage"/> (structured form) or an envelope and bytes (raw form),
/// throwing an <see cref="ApiProblem"/> that names the JSON member at fault.</summary>
internal static class MessageMapper
{
    public const int MaxTags = 20;
    public const int MaxTagLength = 128;
    public const int MaxMetadataEntries = 50;
    public const int MaxMetadataBytes = 8 * 1024;

    // Fields the message itself owns; set them through their JSON members so they are validated and encoded.
    private static readonly HashSet<string> s_reservedHeaders = new(StringComparer.OrdinalIgnoreCase)
    {
        "From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date", "Message-ID", "MIME-Version",
        "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-ID", "DKIM-Signature", "Return-Path", "Received",
    };

    /// <summary>True when the request uses the {envelope, raw} form.</summary>
    public static bool IsRaw(MessageRequest request) => request.Raw is not null || request.Envelope is not null;

    /// <summary>Builds the message of the structured form; the caller disposes it.</summary>
    /// <exception cref="ApiProblem">422 naming the member.</exception>
    public static MailMessage ToMailMessage(MessageRequest request, string prefix)
    {
        var message = new MailMessage();
        try
        {
            if (string.IsNullOrWhiteSpace(request.From))
            {
                throw ApiProblem.Invalid("A message needs a From address.", prefix + "from");
            }
            message.From = Address(request.From, prefix + "from");
            AddAll(message.To, request.To, prefix + "to");
            AddAll(message.CC, request.Cc, prefix + "cc");
            AddAll(message.Bcc, request.Bcc, prefix + "bcc");
            if (message.To.Count + message.CC.Count + message.Bcc.Count == 0)
            {
                throw ApiProblem.Invalid("A message needs at least one recipient in to, cc or bcc.", prefix + "to");
            }
            if (request.ReplyTo is not null)
            {
                message.ReplyToList.Add(Address(request.ReplyTo, prefix + "replyTo"));
            }
            message.Subject = request.Subject ?? "";
            SetBody(message, request.Text, request.Html);
            foreach (var (name, value) in request.Headers ?? [])
            {
                string field = $"{prefix}headers.{name}";
                if (s_reservedHeaders.Contains(name))
                {
                    throw ApiProblem.Invalid($"The {name} header field is set by the server or by its own member (from, to, subject, ...), not through headers.", field);
                }
                try
                {
                    message.Headers.Add(name, value ?? "");
                }
                catch (Exception ex) when (ex is ArgumentException or FormatException)
                {
                    throw ApiProblem.Invalid($"Not a valid header field: {ex.Message}", field);
                }
            }
            var attachments = request.Attachments ?? [];
            for (int i = 0; i < attachments.Count; i++)
            {
                message.Attachments.Add(ToAttachment(attachments[i], $"{prefix}attachments[{i}]"));
            }
            return message;
        }
        catch
        {
            message.Dispose();
            throw;
        }
    }

    /// <summary>Reads the raw form: the envelope and the decoded message bytes (not yet normalized).</summary>
    /// <exception cref="ApiProblem">422 naming the member.</exception>
    public static (Envelope Envelope, byte[] Message) ToRaw(MessageRequest request, string prefix)
    {
        if (request.From is not null || request.To is not null || request.Cc is not null || request.Bcc is not null || request.Subject is not null
            || request.Text is not null || request.Html is not null || request.Headers is not null || request.Attachments is not null || request.ReplyTo is not null)
        {
            throw ApiProblem.Invalid("Use either the structured fields (from, to, subject, ...) or envelope with raw, not both.", prefix + "raw");
        }
        if (request.Envelope is null)
        {
            throw ApiProblem.Invalid("A raw message needs an envelope {from, to}.", prefix + "envelope");
        }
        if (string.IsNullOrEmpty(request.Raw))
        {
            throw ApiProblem.Invalid("A raw message needs raw: the RFC 5322 message in base64.", prefix + "raw");
        }
        if (string.IsNullOrWhiteSpace(request.Envelope.From))
        {
            throw ApiProblem.Invalid("The envelope needs a from address.", prefix + "envelope.from");
        }
        MailAddress sender = Address(request.Envelope.From, prefix + "envelope.from");
        var recipients = new List<MailAddress>();
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var to = request.Envelope.To ?? [];
        for (int i = 0; i < to.Count; i++)
        {
            MailAddress address = Address(to[i], $"{prefix}envelope.to[{i}]");
            if (seen.Add(address.Address))
            {
                recipients.Add(address);
            }
        }
        if (recipients.Count == 0)
        {
            throw ApiProblem.Invalid("The envelope needs at least one recipient.", prefix + "envelope.to");
        }
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(request.Raw);
        }
        catch (FormatException)
        {
            throw ApiProblem.Invalid("raw is not valid base64.", prefix + "raw");
        }
        return (new Envelope(sender, recipients) { RequireTls = request.RequireTls == true }, bytes);
    }

    /// <summary>Checks tags and metadata are within their limits; returns them as JSON text (null when absent).</summary>
    public static (string? Tags, string? Metadata) ClientData(MessageRequest request, string prefix)
    {
        string? tags = null;
        if (request.Tags is { Count: > 0 } list)
        {
            if (list.Count > MaxTags)
            {
                throw ApiProblem.Invalid($"At most {MaxTags} tags.", prefix + "tags");
            }
            for (int i = 0; i < list.Count; i++)
            {
                if (string.IsNullOrEmpty(list[i]) || list[i].Length > MaxTagLength)
                {
                    throw ApiProblem.Invalid($"A tag is 1 to {MaxTagLength} characters.", $"{prefix}tags[{i}]");
                }
            }
            tags = System.Text.Json.JsonSerializer.Serialize(list);
        }
        string? metadata = null;
        if (request.Metadata is { Count: > 0 } map)
        {
            if (map.Count > MaxMetadataEntries)
            {
                throw ApiProblem.Invalid($"At most {MaxMetadataEntries} metadata entries.", prefix + "metadata");
            }
            metadata = System.Text.Json.JsonSerializer.Serialize(map);
            if (Encoding.UTF8.GetByteCount(metadata) > MaxMetadataBytes)
            {
                throw ApiProblem.Invalid($"metadata is larger than {MaxMetadataBytes / 1024} KiB as JSON.", prefix + "metadata");
            }
        }
        return (tags, metadata);
    }

    /// <summary>Maps a field named by the library's validation ("To[1]", "Headers[X-Y]", "Attachments[0].Name") to its JSON member.</summary>
    public static string JsonField(string field, string prefix)
    {
        (string From, string To)[] map =
        [
            ("From", "from"), ("Sender", "from"), ("Reply-To", "replyTo"), ("To", "to"), ("Cc", "cc"), ("Bcc", "bcc"),
            ("Subject", "subject"), ("AlternateViews", "html"), ("Attachments", "attachments"),
        ];
        if (field.StartsWith("Headers[", StringComparison.Ordinal) && field.EndsWith(']'))
        {
            return $"{prefix}headers.{field[8..^1]}";
        }
        foreach (var (from, to) in map)
        {
            if (field.StartsWith(from, StringComparison.Ordinal) && (field.Length == from.Length || field[from.Length] is '[' or '.'))
            {
                string rest = field[from.Length..]
                    .Replace(".Name", ".filename", StringComparison.Ordinal)
                    .Replace(".ContentType", ".contentType", StringComparison.Ordinal)
                    .Replace(".ContentId", ".contentId", StringComparison.Ordinal);
                return from == "AlternateViews" ? prefix + to : prefix + to + rest;
            }
        }
        return prefix + field;
    }

    /// <summary>Parses one address as the API accepts it (no CR, LF or NUL), or throws the 422 naming <paramref name="field"/>.</summary>
    public static MailAddress Address(string text, string field)
    {
        // CR, LF and NUL are refused here, before MailAddress gets a chance to fold or drop them.
        if (text.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
        {
            throw ApiProblem.Invalid("An address must not contain CR, LF or NUL.", field);
        }
        try
        {
            return new MailAddress(text);
        }
        catch (FormatException ex)
        {
            throw ApiProblem.Invalid($"\"{text}\" is not an e-mail address: {ex.Message}", field);
        }
    }

    private static void AddAll(MailAddressCollection target, List<string>? addresses, string field)
    {
        if (addresses is null)
        {
            return;
        }
        for (int i = 0; i < addresses.Count; i++)
        {
            target.Add(Address(addresses[i] ?? "", $"{field}[{i}]"));
        }
    }

    private static void SetBody(MailMessage message, string? text, string? html)
    {
        if (html is not null && text is not null)
        {
            message.Body = text;
            message.AlternateViews.Add(AlternateView.CreateAlternateViewFromString(html, Encoding.UTF8, MediaTypeNames.Text.Html));
        }
        else if (html is not null)
        {
            message.Body = html;
            message.IsBodyHtml = true;
        }
        else
        {
            message.Body = text ?? "";
        }
    }

    private static Attachment ToAttachment(AttachmentRequest request, string field)
    {
        if (string.IsNullOrEmpty(request.Content))
        {
            throw ApiProblem.Invalid("An attachment needs content (base64).", field + ".content");
        }
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(request.Content);
        }
        catch (FormatException)
        {
            throw ApiProblem.Invalid("content is not valid base64.", field + ".content");
        }
        ContentType type;
        try
        {
            type = new ContentType(request.ContentType ?? MediaTypeNames.Application.Octet);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException)
        {
            throw ApiProblem.Invalid($"\"{request.ContentType}\" is not a media type: {ex.Message}", field + ".contentType");
        }
        string name = request.Filename ?? "attachment";
        if (name.AsSpan().IndexOfAny('\r', '\n', '\0') >= 0)
        {
            throw ApiProblem.Invalid("A file name must not contain CR, LF or NUL.", field + ".filename");
        }
        type.Name = name;
        var attachment = new Attachment(new MemoryStream(bytes, writable: false), type);
        attachment.ContentDisposition!.FileName = name; // ContentDisposition is never null on an Attachment.
        if (request.ContentId is not null)
        {
            attachment.ContentId = request.ContentId;
            attachment.ContentDisposition.Inline = true;
        }
        return attachment;
    }
}
