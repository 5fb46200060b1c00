using System.Text.Json;

namespace ModernMail.Server.Http;

/// <summary>The body of POST /v1/messages: either the structured fields, or <see cref="Envelope"/> with <see cref="Raw"/>.</summary>
internal sealed class MessageRequest
{
    /// <summary>The From address, "ops@example.com" or "Ops &lt;ops@example.com&gt;"; also the envelope sender.</summary>
    public string? From { get; set; }

    /// <summary>To recipients.</summary>
    public List<string>? To { get; set; }

    /// <summary>Cc recipients.</summary>
    public List<string>? Cc { get; set; }

    /// <summary>Bcc recipients (in the envelope only).</summary>
    public List<string>? Bcc { get; set; }

    /// <summary>The Reply-To address.</summary>
    public string? ReplyTo { get; set; }

    /// <summary>The subject.</summary>
    public string? Subject { get; set; }

    /// <summary>The plain-text body.</summary>
    public string? Text { get; set; }

    /// <summary>The HTML body; with <see cref="Text"/>, the message is multipart/alternative.</summary>
    public string? Html { get; set; }

    /// <summary>Extra header fields, name to value.</summary>
    public Dictionary<string, string>? Headers { get; set; }

    /// <summary>Attachments; one with a contentId is inline (referenced from the HTML as cid:...).</summary>
    public List<AttachmentRequest>? Attachments { get; set; }

    /// <summary>Labels kept with the message for the client's own bookkeeping (not sent).</summary>
    public List<string>? Tags { get; set; }

    /// <summary>Key-value data kept with the message for the client (not sent).</summary>
    public Dictionary<string, JsonElement>? Metadata { get; set; }

    /// <summary>REQUIRETLS (RFC 8689): deliver only over TLS that authenticates the MX, to servers that keep the
    /// requirement; otherwise bounce (5.7.30) rather than send it less protected.</summary>
    public bool? RequireTls { get; set; }

    /// <summary>One-click unsubscribe (RFC 8058): each recipient gets its own copy, with List-Unsubscribe and List-Unsubscribe-Post
    /// fields carrying a token for that recipient (covered by the DKIM signature). Bulk mail to Gmail and Yahoo needs it.</summary>
    public bool? Unsubscribe { get; set; }

    /// <summary>The raw form's envelope.</summary>
    public EnvelopeRequest? Envelope { get; set; }

    /// <summary>The raw form's message: base64 of RFC 5322 bytes.</summary>
    public string? Raw { get; set; }
}

/// <summary>The SMTP envelope of a raw message.</summary>
internal sealed class EnvelopeRequest
{
    /// <summary>MAIL FROM.</summary>
    public string? From { get; set; }

    /// <summary>RCPT TO, one per recipient.</summary>
    public List<string>? To { get; set; }
}

/// <summary>One attachment.</summary>
internal sealed class AttachmentRequest
{
    /// <summary>The file name shown to the recipient.</summary>
    public string? Filename { get; set; }

    /// <summary>The media type, such as "application/pdf"; default application/octet-stream.</summary>
    public string? ContentType { get; set; }

    /// <summary>The bytes, base64.</summary>
    public string? Content { get; set; }

    /// <summary>A Content-ID; makes the attachment inline.</summary>
    public string? ContentId { get; set; }
}

/// <summary>The body of POST /v1/messages/batch.</summary>
internal sealed class BatchRequest
{
    /// <summary>Up to <see cref="MessageEndpoints.MaxBatchSize"/> messages, each in either form.</summary>
    public List<JsonElement>? Messages { get; set; }
}
