namespace ModernMail.Deliverability;

/// <summary>The verdict of one doctor check.</summary>
public enum CheckStatus
{
    /// <summary>Set up correctly.</summary>
    Pass,

    /// <summary>Works, but worth changing (weak key, monitoring-only policy, optional record missing).</summary>
    Warn,

    /// <summary>Broken, missing, or could not be checked (a DNS timeout is reported as such, not as a missing record).</summary>
    Fail,
}
