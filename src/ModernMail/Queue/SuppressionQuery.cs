namespace ModernMail.Queue;

/// <summary>Which suppressions <see cref="IQueueStore.ListSuppressionsAsync"/> returns, in (address, scope) order.</summary>
public sealed record SuppressionQuery
{
    /// <summary>Only this address.</summary>
    public string? Address { get; init; }

    /// <summary>Only this scope (a sender domain, or <see cref="Suppression.GlobalScope"/>).</summary>
    public string? Scope { get; init; }

    /// <summary>Only entries after this one: "address scope" as returned by the previous page's last entry.</summary>
    public string? After { get; init; }

    /// <summary>At most this many entries (1 to 1000).</summary>
    public int Limit { get; init; } = 100;
}
