namespace ModernMail.Queue;

/// <summary>Why an address is on the suppression list.</summary>
public enum SuppressionReason
{
    /// <summary>It bounced permanently as an unknown user or a domain that does not receive mail.</summary>
    HardBounce = 0,

    /// <summary>The recipient unsubscribed.</summary>
    Unsubscribe = 1,

    /// <summary>The recipient reported a message as spam.</summary>
    Complaint = 2,

    /// <summary>An operator added it.</summary>
    Manual = 3,
}
