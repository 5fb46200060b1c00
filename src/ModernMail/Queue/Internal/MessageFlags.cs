namespace ModernMail.Queue.Internal;

/// <summary>Per-message envelope options kept in mm_messages.flags (a bit set, so later options need no new column).</summary>
[Flags]
internal enum MessageFlags
{
    None = 0,

    /// <summary>REQUIRETLS (RFC 8689), <see cref="Delivery.Envelope.RequireTls"/>.</summary>
    RequireTls = 1,
}
