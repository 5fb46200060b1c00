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

    /// <summary>Stores a new message and its recipients (queued, due at <see cref="QueueEntry.CreatedAt"/>, or suppressed when the
    /// address is on the suppression list for <see cref="QueueEntry.SenderDomain"/>) with their first events; returns after commit.</summary>
    /// <returns>Each recipient's first state, in envelope order: <see cref="RecipientState.Queued"/> or <see cref="RecipientState.Suppressed"/>.</returns>
    /// <exception cref="QueueStoreException">Nothing was stored.</exception>
    Task<IReadOnlyList<RecipientState>> EnqueueAsync(QueueEntry entry, Stream message, CancellationToken cancellationToken = default);

    /// <summary>Takes up to <paramref name="maxMessages"/> due messages that no live lease holds, marks their due recipients delivering and leases them to <paramref name="owner"/>.</summary>
    /// <remarks>Due recipients whose address was suppressed since the message was queued become suppressed instead (with their event).</remarks>
    Task<IReadOnlyList<QueueLease>> LeaseAsync(string owner, DateTimeOffset now, TimeSpan leaseDuration, int maxMessages, CancellationToken cancellationToken = default);

    /// <summary>Opens the stored bytes of a message as a readable, seekable stream.</summary>
    /// <exception cref="QueueStoreException">The message or its body no longer exists.</exception>
    Task<Stream> OpenMessageAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Records an attempt's outcomes with their events, releases the lease and, in the same transaction, stores <paramref name="bounce"/>
    /// if given and suppresses the addresses that bounced as unknown users or domains.</summary>
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

    /// <summary>Counts the recipients not yet final, by state (<see cref="RecipientState.Queued"/>, <see cref="RecipientState.Delivering"/>,
    /// <see cref="RecipientState.Deferred"/>); a state without recipients is left out.</summary>
    /// <remarks>For the <c>modernmail.queue.recipients</c> gauge, which asks at most once per 5 seconds. A store that cannot count
    /// answers <see cref="NotSupportedException"/> (the default), and the gauge reports nothing for it.</remarks>
    /// <exception cref="QueueStoreException">The store failed.</exception>
    Task<IReadOnlyDictionary<RecipientState, long>> CountPendingAsync(CancellationToken cancellationToken = default) =>
        Task.FromException<IReadOnlyDictionary<RecipientState, long>>(new NotSupportedException($"{GetType().Name} does not count recipients by state."));

    /// <summary>Reads events in commit order (see <see cref="EventQuery"/>); pass the last event's <see cref="QueueEvent.Cursor"/> to go on.</summary>
    /// <exception cref="ArgumentException">The cursor is not one this store issued.</exception>
    Task<IReadOnlyList<QueueEvent>> ReadEventsAsync(EventQuery query, CancellationToken cancellationToken = default);

    /// <summary>Records an unsubscribe, a complaint or a late bounce as an event and, by the suppression rules, suppresses the address
    /// for the message's sender domain, in one transaction; false when the message or recipient does not exist.</summary>
    Task<bool> RecordFeedbackAsync(RecipientFeedback feedback, CancellationToken cancellationToken = default);

    /// <summary>Adds an address to the suppression list, or replaces the entry for the same address and scope.</summary>
    Task AddSuppressionAsync(Suppression suppression, CancellationToken cancellationToken = default);

    /// <summary>Removes an address from one scope's list; false when it was not there.</summary>
    Task<bool> RemoveSuppressionAsync(string address, string scope, CancellationToken cancellationToken = default);

    /// <summary>Lists suppressions in (address, scope) order.</summary>
    Task<IReadOnlyList<Suppression>> ListSuppressionsAsync(SuppressionQuery query, CancellationToken cancellationToken = default);

    /// <summary>Claims the named event subscription for <paramref name="owner"/> until <paramref name="now"/> + <paramref name="lease"/>, creating it
    /// (with no cursor, created at <paramref name="now"/>) the first time; null while another owner holds a live lease on it.</summary>
    Task<EventSubscription?> ClaimSubscriptionAsync(string name, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default);

    /// <summary>Moves the subscription's cursor to <paramref name="cursor"/> (null keeps it) and extends the lease to <paramref name="leaseUntil"/>;
    /// false when <paramref name="owner"/> no longer holds the lease (another node took over: stop delivering).</summary>
    Task<bool> SaveSubscriptionAsync(string name, string owner, string? cursor, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default);

    /// <summary>Gives up <paramref name="owner"/>'s lease on the subscription so another node can take it at once.</summary>
    Task ReleaseSubscriptionAsync(string name, string owner, CancellationToken cancellationToken = default);
}
