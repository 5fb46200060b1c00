using System;
using System.Collections.Generic;
using ModernMail.PostgreSql.Internal;
using ModernMail.Queue;
using Npgsql;

namespace ModernMail.PostgreSql;

/// <summary>A queue store in PostgreSQL, shared by workers on many nodes: each due message is leased to one worker with
/// <c>FOR UPDATE SKIP LOCKED</c>, and a crashed worker's lease returns to the queue when it expires.</summary>
/// <example><c>new MailQueue(new QueueOptions { StoreFactory = () =&gt; new PostgreSqlQueueStore("Host=db;Database=mail") })</c></example>
public sealed class PostgreSqlQueueStore : IQueueStore
{
    private readonly PostgreSqlQueueCore _core;

    /// <summary>For a "postgres:CONNECTION-STRING" (or "postgresql:") store string, a factory for <see cref="QueueOptions.StoreFactory"/>; null for any other scheme.</summary>
    public static Func<IQueueStore>? FactoryFor(string store)
    {
        ArgumentNullException.ThrowIfNull(store);
        return QueueStoreFactory.TrySplitScheme(store, out string? scheme, out string location)
            && (scheme.Equals("postgres", StringComparison.OrdinalIgnoreCase) || scheme.Equals("postgresql", StringComparison.OrdinalIgnoreCase))
            ? () => new PostgreSqlQueueStore(location)
            : null;
    }

    /// <summary>Creates a store over the database named by an Npgsql connection string (connections are pooled).</summary>
    public PostgreSqlQueueStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _core = new PostgreSqlQueueCore(connectionString);
    }

    /// <summary>Creates a store over a data source the application owns (for example the <see cref="NpgsqlDataSource"/> registered
    /// in dependency injection, shared with the rest of the application); disposing the store leaves it open.</summary>
    /// <exception cref="ArgumentNullException"><paramref name="dataSource"/> is null.</exception>
    public PostgreSqlQueueStore(NpgsqlDataSource dataSource)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _core = new PostgreSqlQueueCore(dataSource, ownsDataSource: false);
    }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default) => _core.InitializeAsync(cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<RecipientState>> EnqueueAsync(QueueEntry entry, Stream message, CancellationToken cancellationToken = default) => _core.EnqueueAsync(entry, message, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<QueueLease>> LeaseAsync(string owner, DateTimeOffset now, TimeSpan leaseDuration, int maxMessages, CancellationToken cancellationToken = default)
        => _core.LeaseAsync(owner, now, leaseDuration, maxMessages, cancellationToken);

    /// <inheritdoc />
    public Task<Stream> OpenMessageAsync(string id, CancellationToken cancellationToken = default) => _core.OpenMessageAsync(id, cancellationToken);

    /// <inheritdoc />
    public Task CompleteAsync(QueueLease lease, IReadOnlyList<RecipientOutcome> outcomes, QueuedBounce? bounce, DateTimeOffset now, CancellationToken cancellationToken = default)
        => _core.CompleteAsync(lease, outcomes, bounce, now, cancellationToken);

    /// <inheritdoc />
    public Task RenewLeasesAsync(string owner, DateTimeOffset until, CancellationToken cancellationToken = default) => _core.RenewLeasesAsync(owner, until, cancellationToken);

    /// <inheritdoc />
    public Task ReleaseLeasesAsync(string owner, CancellationToken cancellationToken = default) => _core.ReleaseLeasesAsync(owner, cancellationToken);

    /// <inheritdoc />
    public Task<QueuedMessage?> GetAsync(string id, CancellationToken cancellationToken = default) => _core.GetAsync(id, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<QueuedMessage>> ListAsync(bool pendingOnly, int limit, CancellationToken cancellationToken = default) => _core.ListAsync(pendingOnly, limit, cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<QueuedMessage>> QueryAsync(QueueQuery query, CancellationToken cancellationToken = default) => _core.QueryAsync(query, cancellationToken);

    /// <inheritdoc />
    public Task<bool> RetryNowAsync(string id, DateTimeOffset now, CancellationToken cancellationToken = default) => _core.RetryNowAsync(id, now, cancellationToken);

    /// <inheritdoc />
    public Task<int> PurgeAsync(bool includePending, CancellationToken cancellationToken = default) => _core.PurgeAsync(includePending, cancellationToken);

    /// <inheritdoc />
    public Task<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken = default) => _core.GetNextDueAsync(cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<RecipientState, long>> CountPendingAsync(CancellationToken cancellationToken = default) => _core.CountPendingAsync(cancellationToken);

    /// <inheritdoc/>
    public Task<IReadOnlyList<QueueEvent>> ReadEventsAsync(EventQuery query, CancellationToken cancellationToken = default) => _core.ReadEventsAsync(query, cancellationToken);

    /// <inheritdoc/>
    public Task<bool> RecordFeedbackAsync(RecipientFeedback feedback, CancellationToken cancellationToken = default) => _core.RecordFeedbackAsync(feedback, cancellationToken);

    /// <inheritdoc/>
    public Task AddSuppressionAsync(Suppression suppression, CancellationToken cancellationToken = default) => _core.AddSuppressionAsync(suppression, cancellationToken);

    /// <inheritdoc/>
    public Task<bool> RemoveSuppressionAsync(string address, string scope, CancellationToken cancellationToken = default) => _core.RemoveSuppressionAsync(address, scope, cancellationToken);

    /// <inheritdoc/>
    public Task<IReadOnlyList<Suppression>> ListSuppressionsAsync(SuppressionQuery query, CancellationToken cancellationToken = default) => _core.ListSuppressionsAsync(query, cancellationToken);

    /// <inheritdoc/>
    public Task<EventSubscription?> ClaimSubscriptionAsync(string name, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken = default) =>
        _core.ClaimSubscriptionAsync(name, owner, now, lease, cancellationToken);

    /// <inheritdoc/>
    public Task<bool> SaveSubscriptionAsync(string name, string owner, string? cursor, DateTimeOffset leaseUntil, CancellationToken cancellationToken = default) =>
        _core.SaveSubscriptionAsync(name, owner, cursor, leaseUntil, cancellationToken);

    /// <inheritdoc/>
    public Task ReleaseSubscriptionAsync(string name, string owner, CancellationToken cancellationToken = default) => _core.ReleaseSubscriptionAsync(name, owner, cancellationToken);

    /// <summary>Waits for pending writes to commit and closes the connection pool (unless the store was given a data source it does not own).</summary>
    public async ValueTask DisposeAsync()
    {
        await _core.CloseAsync().ConfigureAwait(false);
        await _core.DisposeAsync().ConfigureAwait(false);
    }
}
