namespace ModernMail.Delivery;

/// <summary>What a delivery attempt means for a recipient.</summary>
public enum DeliveryOutcome
{
    /// <summary>The server accepted the message for the recipient.</summary>
    Delivered,

    /// <summary>Not delivered now; trying again later may succeed.</summary>
    Transient,

    /// <summary>Not delivered, and trying again will not help (a bounce).</summary>
    Permanent,
}
