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

        /// <summary>Dropped: the message's own properties or the MIME structure own this field.</summary>
        Drop,

        /// <summary>Dropped when the message's Priority is set, else kept.</summary>
        Priority,
    }

    /// <summary>Classifies the custom header <paramref name="name"/>.</summary>
    public static Action Classify(string name) => name.ToUpperInvariant() switch
    {
        "DATE" or "MESSAGE-ID" => Action.Override,
        "IN-REPLY-TO" or "REFERENCES" => Action.KeepFirst,
        "BCC" or "FROM" or "SENDER" or "REPLY-TO" or "TO" or "CC" or "SUBJECT" or "MIME-VERSION"
            or "CONTENT-TYPE" or "CONTENT-TRANSFER-ENCODING" or "CONTENT-DISPOSITION" or "CONTENT-ID" => Action.Drop,
        "X-PRIORITY" or "PRIORITY" or "IMPORTANCE" => Action.Priority,
        _ => Action.Keep,
    };

    /// <summary>Structured fields whose custom values we write verbatim, so they must be printable ASCII.</summary>
    public static bool RequiresAscii(string name) => name.ToUpperInvariant() is "DATE" or "MESSAGE-ID" or "IN-REPLY-TO" or "REFERENCES";
}
