using System;
using System.Collections.Generic;
using Microsoft.Data.Sqlite;
using ModernMail.Queue.Internal;

namespace ModernMail.Queue;

/// <summary>A queue store in one SQLite database file (WAL journal, synchronous=FULL), for a single node.</summary>
/// <remarks>Message bytes are stored as blobs in the same database rather than as spool files: the message and its
/// recipients then commit in one fsync'd transaction, so there is no window where a spool file exists without its row
/// (or the reverse) and no directory fsync to get right. Blobs are streamed in and out with incremental blob I/O.</remarks>
public sealed class SqliteQueueStore : IQueueStore
{
    private readonly SqliteQueueCore _core;

    /// <summary>Opens (lazily) the store at <paramref name="path"/>: a database file, or a data directory that will hold "queue.db".</summary>
    /// <param name="path">A file path ending in .db/.sqlite/.sqlite3, or a directory (created if missing).</param>
    /// <param name="busyTimeout">How long to wait for another process's write lock; null means 30 seconds.</param>
    /// <exception cref="QueueStoreException">The directory cannot be created (permissions, a file in the way).</exception>
    public SqliteQueueStore(string path, TimeSpan? busyTimeout = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string full = System.IO.Path.GetFullPath(path);
        try
        {
            full = PrepareLocation(full);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // An operator's typo or a permission problem: one line naming the path and the reason, not a stack trace.
            throw new QueueStoreException($"SQLite queue store '{full}' cannot be created: {Reason(full, ex)}", ex);
        }
        _core = new SqliteQueueCore(full, busyTimeout ?? TimeSpan.FromSeconds(30));
    }

    /// <summary>Creates the directory that will hold the database and returns the database file's path.</summary>
    private static string PrepareLocation(string full)
    {
        string extension = System.IO.Path.GetExtension(full);
        if (!Directory.Exists(full) && (extension.Equals(".db", StringComparison.OrdinalIgnoreCase)
            || extension.Equals(".sqlite", StringComparison.OrdinalIgnoreCase) || extension.Equals(".sqlite3", StringComparison.OrdinalIgnoreCase)))
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full) ?? ".");
            return full;
        }
        Directory.CreateDirectory(full);
        return System.IO.Path.Combine(full, "queue.db");
    }

    private static string Reason(string full, Exception exception)
    {
        // The runtime says "the file already exists" when a path component is a regular file; name it plainly.
        for (string? dir = System.IO.Path.GetDirectoryName(full); dir is not null; dir = System.IO.Path.GetDirectoryName(dir))
        {
            if (File.Exists(dir))
            {
                return $"'{dir}' is a file, not a directory";
            }
        }
        return exception switch
        {
            UnauthorizedAccessException => "permission denied (" + exception.Message + ")",
            DirectoryNotFoundException => "a directory on the path does not exist (" + exception.Message + ")",
            _ => exception.Message,
        };
    }

    /// <summary>The database file.</summary>
    public string Path => _core.Path;

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

    /// <summary>Waits for pending writes to commit and closes pooled connections to the database file.</summary>
    public async ValueTask DisposeAsync()
    {
        await _core.CloseAsync().ConfigureAwait(false);
        SqliteConnection.ClearAllPools();
        _core.Dispose();
    }
}
