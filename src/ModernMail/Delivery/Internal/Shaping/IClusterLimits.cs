namespace ModernMail.Delivery.Internal.Shaping;

/// <summary>Limits shared by every node of a cluster (tables in the PostgreSQL store), so "2 connections at once to X" and
/// "60 messages a minute to X" hold for all processes together; the local <see cref="Destination"/> limits still apply.</summary>
internal interface IClusterLimits
{
    /// <summary>Counts one message to the destination if fewer than the limits were sent by all nodes in the last minute and
    /// hour; else how long until one fits. Zero when counted (or when the database is unreachable: logged).</summary>
    Task<TimeSpan> TryTakeMessageAsync(string destination, int? perMinute, int? perHour, CancellationToken cancellationToken);

    /// <summary>Takes one of the destination's slots, if fewer than <paramref name="limit"/> are held by all nodes together.</summary>
    /// <returns>False when every slot is held. An unreachable database gives true (logged): the queue itself fails then, and
    /// the node's own limit still holds.</returns>
    Task<bool> TryAcquireAsync(string destination, int limit, CancellationToken cancellationToken);

    /// <summary>Gives back one slot this node holds for the destination (the connection closed).</summary>
    void Release(string destination);
}
