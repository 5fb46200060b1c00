using System.Globalization;
using System.Text.Json;
using ModernMail.Delivery;
using ModernMail.Queue;

namespace ModernMail.Server.Events;

/// <summary>The one JSON shape of an event, for GET /v1/events, <c>mailbroker events --json</c> and webhook POSTs.</summary>
internal static class EventJson
{
    /// <summary>The lower-case name of an event type ("delivered", "unsubscribed", ...).</summary>
    public static string TypeName(QueueEventType type) => type.ToString().ToLowerInvariant();

    /// <summary>Parses a type name as <see cref="TypeName"/> writes it; null when it is not one.</summary>
    public static QueueEventType? ParseType(string text) =>
        Enum.TryParse(text, ignoreCase: true, out QueueEventType type) && Enum.IsDefined(type) && !int.TryParse(text, CultureInfo.InvariantCulture, out _) ? type : null;

    public static void Write(Utf8JsonWriter json, QueueEvent e)
    {
        json.WriteStartObject();
        json.WriteString("id", e.Id);
        json.WriteString("type", TypeName(e.Type));
        json.WriteString("messageId", e.MessageId);
        json.WriteString("recipient", e.Recipient);
        json.WriteString("at", e.At.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        if (e.Category != BounceCategory.None)
        {
            json.WriteString("category", e.Category.ToString());
        }
        WriteIfSet(json, "reply", e.Reply);
        WriteIfSet(json, "mx", e.MxHost);
        WriteIfSet(json, "tls", e.Tls);
        WriteIfSet(json, "senderDomain", e.SenderDomain);
        if (e.Annotations is { } annotations)
        {
            // Stored as the object {"tags": [...], "metadata": {...}} written at submission; both members are copied as they are.
            using var document = JsonDocument.Parse(annotations);
            foreach (var member in document.RootElement.EnumerateObject())
            {
                member.WriteTo(json);
            }
        }
        json.WriteString("cursor", e.Cursor);
        json.WriteEndObject();
    }

    /// <summary>One event as a UTF-8 JSON document (a webhook body, a JSON line).</summary>
    public static byte[] ToUtf8(QueueEvent e)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            Write(json, e);
        }
        return buffer.ToArray();
    }

    private static void WriteIfSet(Utf8JsonWriter json, string name, string? value)
    {
        if (value is not null)
        {
            json.WriteString(name, value);
        }
    }
}
