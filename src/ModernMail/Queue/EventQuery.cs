namespace ModernMail.Queue;

/// <summary>Which events <see cref="IQueueStore.ReadEventsAsync"/> returns.</summary>
public sealed record EventQuery
{
    /// <summary>Only events after this <see cref="QueueEvent.Cursor"/>; null to start from the oldest kept.</summary>
    public string? After { get; init; }

    /// <summary>Only events of this type.</summary>
    public QueueEventType? Type { get; init; }

    /// <summary>Only events of this message.</summary>
    public string? MessageId { get; init; }

    /// <summary>The newest <see cref="Limit"/> matching events instead of the oldest (still returned in commit order), for a status page's "last events".</summary>
    public bool Newest { get; init; }

    /// <summary>At most this many events (1 to 1000).</summary>
    public int Limit { get; init; } = 100;
}
