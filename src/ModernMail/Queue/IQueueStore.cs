using System;
using System.Collections.Generic;

namespace ModernMail.Queue;

/// <summary>Durable storage for queued messages, their recipients' states and the leases workers hold on them.</summary>
/// <remarks>Every method that changes state returns only after the change is committed durably. Implementations throw
/// <see cref="QueueStoreException"/> for storage failures; they never drop a message silently.</remarks>
public interface IQueueStore : IAsyncDisposable
{
    /// <summary>Creates the schema if needed and checks the store is usable.</summary>
    /// <exception cref="QueueStoreException">The store is corrupt, locked or unreachable.</exception>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores a new message and its recipients (all queued, due at <see cref="QueueEntry.CreatedAt"/>); returns after commit.</summary>
    /// <exception cref="QueueStoreException">Nothing was stored.</exception>
    Task EnqueueAsync(QueueEntry entry, Stream message, CancellationToken cancellationToken = default);

    /// <summary>Takes up to <paramref name="maxMessages"/> due messages that no live lease holds, marks their due recipients delivering and leases them to <paramref name="owner"/>.</summary>
    Task<IReadOnlyList<QueueLease>> LeaseAsync(string owner, DateTimeOffset now, TimeSpan leaseDuration, int maxMessages, CancellationToken cancellationToken = default);

    /// <summary>Opens the stored bytes of a message as a readable, seekable stream.</summary>
    /// <exception cref="QueueStoreException">The message or its body no longer exists.</exception>
    Task<Stream> OpenMessageAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Records an attempt's outcomes, releases the lease and, in the same transaction, stores <paramref name="bounce"/> if given.</summary>
    Task CompleteAsync(QueueLease lease, IReadOnlyList<RecipientOutcome> outcomes, QueuedBounce? bounce, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Extends every lease <paramref name="owner"/> holds to <paramref name="until"/>.</summary>
    Task RenewLeasesAsync(string owner, DateTimeOffset until, CancellationToken cancellationToken = default);

    /// <summary>Gives back every lease <paramref name="owner"/> holds; its delivering recipients become due again.</summary>
    Task ReleaseLeasesAsync(string owner, CancellationToken cancellationToken = default);

    /// <summary>Reads one message's status; null when no such message exists.</summary>
    Task<QueuedMessage?> GetAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Lists messages, oldest first; <paramref name="pendingOnly"/> skips messages whose recipients are all final.</summary>
    Task<IReadOnlyList<QueuedMessage>> ListAsync(bool pendingOnly, int limit, CancellationToken cancellationToken = default);

    /// <summary>Lists messages matching <paramref name="query"/> in id order. Stores filter in their database; the default
    /// implementation filters <see cref="ListAsync"/>'s first 10,000 messages, for stores written before this method.</summary>
    async Task<IReadOnlyList<QueuedMessage>> QueryAsync(QueueQuery query, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(query);
        var all = await ListAsync(pendingOnly: false, 10_000, cancellationToken).ConfigureAwait(false);
        return all.Where(m => query.AfterId is null || string.CompareOrdinal(m.Id, query.AfterId) > 0)
            .Where(m => query.Since is null || m.CreatedAt >= query.Since)
            .Where(m => query.State is null || m.Recipients.Any(r => r.State == query.State))
            .Where(m => query.Recipient is null || m.Recipients.Any(r => r.Address.Equals(query.Recipient, StringComparison.OrdinalIgnoreCase)))
            .OrderBy(m => m.Id, StringComparer.Ordinal)
            .Take(query.Limit)
            .ToList();
    }

    /// <summary>Makes every deferred recipient of a message due at <paramref name="now"/>; returns false when the message does not exist.</summary>
    Task<bool> RetryNowAsync(string id, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Deletes completed messages (every recipient final), or every message when <paramref name="includePending"/>; returns how many.</summary>
    Task<int> PurgeAsync(bool includePending, CancellationToken cancellationToken = default);

    /// <summary>When the earliest undelivered recipient is due; null when nothing is pending.</summary>
    Task<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken = default);
}
