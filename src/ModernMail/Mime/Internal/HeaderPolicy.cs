namespace ModernMail.Mime.Internal;

/// <summary>What happens to each custom header in <see cref="System.Net.Mail.MailMessage.Headers"/>.</summary>
internal static class HeaderPolicy
{
    /// <summary>What the writer does with a custom header.</summary>
    public enum Action
    {
        /// <summary>Written as given, every value.</summary>
        Keep,

        /// <summary>Replaces the header the writer would generate (first value only).</summary>
        Override,

        /// <summary>Single-instance field (RFC 5322 §3.6): first value only.</summary>
        KeepFirst,

        /// <summary>Refused: a property of the message or the MIME structure writes this field, or it could not be valid for what we compose.</summary>
        Refuse,

        /// <summary>Dropped when the message's Priority is set, else kept.</summary>
        Priority,
    }

    /// <summary>Classifies the custom header <paramref name="name"/>.</summary>
    public static Action Classify(string name) => name.ToUpperInvariant() switch
    {
        "DATE" or "MESSAGE-ID" => Action.Override,
        "IN-REPLY-TO" or "REFERENCES" => Action.KeepFirst,
        "BCC" or "FROM" or "SENDER" or "REPLY-TO" or "TO" or "CC" or "SUBJECT" or "MIME-VERSION"
            or "CONTENT-TYPE" or "CONTENT-TRANSFER-ENCODING" or "CONTENT-DISPOSITION" or "CONTENT-ID"
            or "DKIM-SIGNATURE" or "ARC-SEAL" or "ARC-MESSAGE-SIGNATURE" or "ARC-AUTHENTICATION-RESULTS" => Action.Refuse,
        "X-PRIORITY" or "PRIORITY" or "IMPORTANCE" => Action.Priority,
        _ => Action.Keep,
    };

    /// <summary>Why the custom header <paramref name="name"/> is refused (for <see cref="Action.Refuse"/>).</summary>
    public static string RefusalReason(string name) => name.ToUpperInvariant() switch
    {
        "BCC" => "Bcc is never written: use MailMessage.Bcc, which only goes into the envelope.",
        "FROM" or "SENDER" or "REPLY-TO" or "TO" or "CC" or "SUBJECT"
            => $"{name} is written from the MailMessage property of that name; set it there.",
        "DKIM-SIGNATURE" or "ARC-SEAL" or "ARC-MESSAGE-SIGNATURE" or "ARC-AUTHENTICATION-RESULTS"
            => $"A {name} field cannot be valid for a message we compose: configure DKIM signing on the broker instead.",
        _ => $"{name} is written from the MIME structure the message's body, views and attachments make.",
    };

    /// <summary>Structured fields whose custom values we write verbatim, so they must be printable ASCII.</summary>
    public static bool RequiresAscii(string name) => name.ToUpperInvariant() is "DATE" or "MESSAGE-ID" or "IN-REPLY-TO" or "REFERENCES";
}
