namespace ModernMail.Delivery.Internal.Shaping;

/// <summary>Connection slots shared by every node of a cluster (the PostgreSQL store's table), so "2 connections at once to X"
/// holds for all processes together; the local <see cref="Destination"/> limit still applies within each node.</summary>
internal interface IConnectionGate
{
    /// <summary>Takes one of the destination's slots, if fewer than <paramref name="limit"/> are held by all nodes together.</summary>
    /// <returns>False when every slot is held. An unreachable database gives true (logged): the queue itself fails then, and
    /// the node's own limit still holds.</returns>
    Task<bool> TryAcquireAsync(string destination, int limit, CancellationToken cancellationToken);

    /// <summary>Gives back one slot this node holds for the destination (the connection closed).</summary>
    void Release(string destination);
}
