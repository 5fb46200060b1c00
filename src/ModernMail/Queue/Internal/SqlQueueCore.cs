using System;
using System.Collections.Generic;
using System.Data.Common;
using System.Globalization;
using System.Threading.Channels;

using ModernMail.Delivery.Internal;

namespace ModernMail.Queue.Internal;

/// <summary>The queue's SQL, shared by the SQLite and PostgreSQL stores; a dialect supplies connections, locking and blobs.</summary>
/// <remarks>Times are stored as Unix milliseconds (bigint) so both databases run the same statements.
/// mm_messages.next_attempt_at is the earliest due time of the message's undelivered recipients, or NULL when all are final.</remarks>
internal abstract class SqlQueueCore
{
    private const string PendingStates = "(0, 1, 3)";
    private const string FinalStates = "(2, 4, 5)";
    private const int MaxBatch = 256;

    /// <summary>Writes waiting for the group-commit loop; bounded so that a slow disk slows callers instead of growing memory.</summary>
    private const int MaxPendingWrites = 4096;

    private readonly Channel<WriteOperation> _writes = Channel.CreateBounded<WriteOperation>(
        new BoundedChannelOptions(MaxPendingWrites) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });
    private readonly object _writerLock = new();
    private Task? _writer;

    /// <summary>Where the store lives, for error messages (no passwords).</summary>
    protected abstract string Description { get; }

    /// <summary>Opens a connection with the store's per-connection settings applied.</summary>
    protected abstract Task<DbConnection> OpenAsync(CancellationToken cancellationToken);

    /// <summary>Begins a transaction that will write (SQLite: BEGIN IMMEDIATE under an in-process lock).</summary>
    protected abstract Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>True to batch concurrent writes into one transaction (SQLite: one writer anyway, one fsync per batch);
    /// false to give each write its own transaction on its own pooled connection (PostgreSQL commits those in parallel).</summary>
    protected abstract bool GroupCommit { get; }

    /// <summary>Releases whatever <see cref="BeginWriteAsync"/> took besides the transaction.</summary>
    protected virtual void EndWrite() { }

    /// <summary>Creates the tables if they do not exist and checks the store.</summary>
    protected abstract Task CreateSchemaAsync(DbConnection connection, CancellationToken cancellationToken);

    /// <summary>The clause appended to the due-message subquery (PostgreSQL: FOR UPDATE SKIP LOCKED).</summary>
    protected abstract string LockClause { get; }

    /// <summary>Inserts the mm_messages row including the body.</summary>
    protected abstract Task InsertMessageAsync(DbConnection connection, DbTransaction transaction, QueueEntry entry, Stream body, long size, CancellationToken cancellationToken);

    /// <summary>Reads the body of a message into a seekable stream; null when there is none.</summary>
    protected abstract Task<bool> ReadBodyAsync(DbConnection connection, string id, Stream destination, CancellationToken cancellationToken);

    /// <summary>Turns a provider exception into a <see cref="QueueStoreException"/> naming the operation and the store.</summary>
    protected abstract QueueStoreException Translate(DbException exception, string operation);

    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        await RunAsync("open", async ct =>
        {
            var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                await CreateSchemaAsync(connection, ct).ConfigureAwait(false);
            }
            return 0;
        }, cancellationToken).ConfigureAwait(false);
    }

    public Task EnqueueAsync(QueueEntry entry, Stream message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(message);
        if (entry.Envelope.Recipients.Count == 0)
        {
            throw new ArgumentException("A queued message needs at least one recipient.", nameof(entry));
        }
        return EnqueueCoreAsync(entry, message, cancellationToken);
    }

    private async Task EnqueueCoreAsync(QueueEntry entry, Stream message, CancellationToken cancellationToken)
    {
        // A batch that fails is retried one operation at a time, so the body must be readable again from the start.
        SpoolStream? buffered = null;
        if (!message.CanSeek)
        {
            buffered = new SpoolStream();
            await message.CopyToAsync(buffered, cancellationToken).ConfigureAwait(false);
            buffered.Position = 0;
            message = buffered;
        }
        long start = message.Position;
        try
        {
            await WriteAsync("enqueue", async (connection, transaction, ct) =>
            {
                message.Position = start;
                await InsertEntryAsync(connection, transaction, entry, message, ct).ConfigureAwait(false);
                return 0;
            }, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (buffered is not null)
            {
                await buffered.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private async Task InsertEntryAsync(DbConnection connection, DbTransaction transaction, QueueEntry entry, Stream message, CancellationToken cancellationToken)
    {
        long size = message.CanSeek ? message.Length - message.Position : -1;
        Stream body = message;
        SpoolStream? copy = null;
        if (size < 0)
        {
            copy = new SpoolStream();
            await message.CopyToAsync(copy, cancellationToken).ConfigureAwait(false);
            copy.Position = 0;
            body = copy;
            size = copy.Length;
        }
        try
        {
            await InsertMessageAsync(connection, transaction, entry, body, size, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (copy is not null)
            {
                await copy.DisposeAsync().ConfigureAwait(false);
            }
        }
        long created = ToUnix(entry.CreatedAt);
        using var command = Command(connection, transaction,
            "INSERT INTO mm_recipients (message_id, idx, address, state, attempts, next_attempt_at, last_reply, updated_at) " +
            "VALUES (@id, @idx, @address, 0, 0, @next, NULL, @now)");
        Add(command, "id", entry.Id);
        var idx = Add(command, "idx", 0);
        var address = Add(command, "address", "");
        Add(command, "next", created);
        Add(command, "now", created);
        for (int i = 0; i < entry.Envelope.Recipients.Count; i++)
        {
            idx.Value = i;
            address.Value = entry.Envelope.Recipients[i].Address;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task<IReadOnlyList<QueueLease>> LeaseAsync(string owner, DateTimeOffset now, TimeSpan leaseDuration, int maxMessages, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        var until = now + leaseDuration;
        return WriteAsync<IReadOnlyList<QueueLease>>("lease", async (connection, transaction, ct) =>
        {
            var heads = new List<(string Id, string? Sender, long Created, long Expires)>();
            using (var command = Command(connection, transaction,
                "UPDATE mm_messages SET lease_owner = @owner, lease_until = @until WHERE id IN (" +
                "SELECT id FROM mm_messages WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= @now " +
                "AND (lease_until IS NULL OR lease_until < @now) ORDER BY next_attempt_at LIMIT @limit" + LockClause + ") " +
                "RETURNING id, sender, created_at, expires_at"))
            {
                Add(command, "owner", owner);
                Add(command, "until", ToUnix(until));
                Add(command, "now", ToUnix(now));
                Add(command, "limit", maxMessages);
                var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        heads.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), GetLong(reader, 2), GetLong(reader, 3)));
                    }
                }
            }
            var leases = new List<QueueLease>(heads.Count);
            using var recipients = Command(connection, transaction,
                "UPDATE mm_recipients SET state = 1, updated_at = @now WHERE message_id = @id AND state IN " + PendingStates +
                " AND next_attempt_at <= @now RETURNING idx, address, attempts");
            var idParameter = Add(recipients, "id", "");
            Add(recipients, "now", ToUnix(now));
            foreach (var head in heads)
            {
                idParameter.Value = head.Id;
                var list = new List<LeasedRecipient>();
                var reader = await recipients.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        list.Add(new LeasedRecipient(GetInt(reader, 0), reader.GetString(1), GetInt(reader, 2)));
                    }
                }
                list.Sort(static (a, b) => a.Index.CompareTo(b.Index));
                leases.Add(new QueueLease(head.Id, head.Sender, FromUnix(head.Created), FromUnix(head.Expires), owner, until, list));
            }
            leases.Sort(static (a, b) => a.CreatedAt.CompareTo(b.CreatedAt));
            return leases;
        }, cancellationToken);
    }

    public Task<Stream> OpenMessageAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return RunAsync<Stream>("read message", async ct =>
        {
            // Copied into a spool (memory up to 1 MiB, then a temporary file), not held open on the row: a lease
            // renewal updates the row, which would expire an open SQLite blob handle mid-delivery; memory stays flat.
            var spool = new SpoolStream();
            try
            {
                var connection = await OpenAsync(ct).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    if (!await ReadBodyAsync(connection, id, spool, ct).ConfigureAwait(false))
                    {
                        throw new QueueStoreException($"Queue message {id} has no stored body in {Description} (deleted or already complete).");
                    }
                }
                spool.Position = 0;
                return spool;
            }
            catch
            {
                await spool.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }, cancellationToken);
    }

    public Task CompleteAsync(QueueLease lease, IReadOnlyList<RecipientOutcome> outcomes, QueuedBounce? bounce, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(outcomes);
        return WriteAsync("complete", async (connection, transaction, ct) =>
        {
            long unixNow = ToUnix(now);
            using (var command = Command(connection, transaction,
                "UPDATE mm_recipients SET state = @state, attempts = @attempts, next_attempt_at = @next, last_reply = @reply, updated_at = @now " +
                "WHERE message_id = @id AND idx = @idx AND state NOT IN " + FinalStates))
            {
                Add(command, "id", lease.Id);
                Add(command, "now", unixNow);
                var idx = Add(command, "idx", 0);
                var state = Add(command, "state", 0);
                var attempts = Add(command, "attempts", 0);
                var next = Add(command, "next", 0L);
                var reply = Add(command, "reply", "");
                foreach (var outcome in outcomes)
                {
                    idx.Value = outcome.Index;
                    state.Value = (int)outcome.State;
                    attempts.Value = outcome.Attempts;
                    next.Value = outcome.NextAttemptAt is { } at ? ToUnix(at) : DBNull.Value;
                    reply.Value = outcome.LastReply is { } text ? Truncate(text, 2000) : DBNull.Value;
                    await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
                }
            }
            await RecomputeAsync(connection, transaction, lease.Id, lease.Owner, ct).ConfigureAwait(false);
            if (bounce is not null)
            {
                var stream = new MemoryStream(bounce.Message.ToArray(), writable: false);
                await using (stream.ConfigureAwait(false))
                {
                    await InsertEntryAsync(connection, transaction, bounce.Entry, stream, ct).ConfigureAwait(false);
                }
            }
            return 0;
        }, cancellationToken);
    }

    private static async Task RecomputeAsync(DbConnection connection, DbTransaction transaction, string id, string? owner, CancellationToken cancellationToken)
    {
        using (var command = Command(connection, transaction,
            "UPDATE mm_messages SET next_attempt_at = (SELECT MIN(r.next_attempt_at) FROM mm_recipients r WHERE r.message_id = @id AND r.state IN " + PendingStates + "), " +
            "lease_owner = CASE WHEN lease_owner = @owner THEN NULL ELSE lease_owner END, " +
            "lease_until = CASE WHEN lease_owner = @owner THEN NULL ELSE lease_until END WHERE id = @id"))
        {
            Add(command, "id", id);
            Add(command, "owner", owner ?? "");
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        // A complete message no longer needs its bytes; keep the row for status until purged.
        using (var command = Command(connection, transaction, "DELETE FROM mm_bodies WHERE message_id = @id AND EXISTS (SELECT 1 FROM mm_messages WHERE id = @id AND next_attempt_at IS NULL)"))
        {
            Add(command, "id", id);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task RenewLeasesAsync(string owner, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return WriteAsync("renew leases", async (connection, transaction, ct) =>
        {
            using var command = Command(connection, transaction, "UPDATE mm_messages SET lease_until = @until WHERE lease_owner = @owner");
            Add(command, "owner", owner);
            Add(command, "until", ToUnix(until));
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    public Task ReleaseLeasesAsync(string owner, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return WriteAsync("release leases", async (connection, transaction, ct) =>
        {
            using (var command = Command(connection, transaction,
                "UPDATE mm_recipients SET state = CASE WHEN attempts = 0 THEN 0 ELSE 3 END WHERE state = 1 AND message_id IN (SELECT id FROM mm_messages WHERE lease_owner = @owner)"))
            {
                Add(command, "owner", owner);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            using (var command = Command(connection, transaction, "UPDATE mm_messages SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = @owner"))
            {
                Add(command, "owner", owner);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return 0;
        }, cancellationToken);
    }

    public Task<QueuedMessage?> GetAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return RunAsync("read status", async ct =>
        {
            var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var list = await ReadMessagesAsync(connection, "WHERE id = @id", command => Add(command, "id", id), ct).ConfigureAwait(false);
                return list.Count == 0 ? null : list[0];
            }
        }, cancellationToken);
    }

    public Task<IReadOnlyList<QueuedMessage>> ListAsync(bool pendingOnly, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return RunAsync("list", async ct =>
        {
            var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                string where = (pendingOnly ? "WHERE next_attempt_at IS NOT NULL " : "") + "ORDER BY created_at, id LIMIT @limit";
                return await ReadMessagesAsync(connection, where, command => Add(command, "limit", limit), ct).ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    private static async Task<IReadOnlyList<QueuedMessage>> ReadMessagesAsync(DbConnection connection, string where, Action<DbCommand> bind, CancellationToken cancellationToken)
    {
        var heads = new List<(string Id, string? Sender, long Size, long Created, long Expires, string? Owner, long? Until)>();
        using (var command = Command(connection, null, "SELECT id, sender, size, created_at, expires_at, lease_owner, lease_until FROM mm_messages " + where))
        {
            bind(command);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    heads.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), GetLong(reader, 2), GetLong(reader, 3), GetLong(reader, 4),
                        reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : GetLong(reader, 6)));
                }
            }
        }
        var result = new List<QueuedMessage>(heads.Count);
        using var recipients = Command(connection, null,
            "SELECT idx, address, state, attempts, next_attempt_at, last_reply, updated_at FROM mm_recipients WHERE message_id = @id ORDER BY idx");
        var idParameter = Add(recipients, "id", "");
        foreach (var head in heads)
        {
            idParameter.Value = head.Id;
            var list = new List<QueuedRecipient>();
            var reader = await recipients.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var state = (RecipientState)GetInt(reader, 2);
                    list.Add(new QueuedRecipient(GetInt(reader, 0), reader.GetString(1), state, GetInt(reader, 3),
                        reader.IsDBNull(4) || state is RecipientState.Delivered or RecipientState.Bounced or RecipientState.Expired ? null : FromUnix(GetLong(reader, 4)),
                        reader.IsDBNull(5) ? null : reader.GetString(5), FromUnix(GetLong(reader, 6))));
                }
            }
            result.Add(new QueuedMessage(head.Id, head.Sender, head.Size, FromUnix(head.Created), FromUnix(head.Expires), head.Owner,
                head.Until is { } until ? FromUnix(until) : null, list));
        }
        return result;
    }

    public Task<bool> RetryNowAsync(string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return WriteAsync("retry", async (connection, transaction, ct) =>
        {
            using (var exists = Command(connection, transaction, "SELECT COUNT(*) FROM mm_messages WHERE id = @id"))
            {
                Add(exists, "id", id);
                if (Convert.ToInt64(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
                {
                    return false;
                }
            }
            using (var command = Command(connection, transaction, "UPDATE mm_recipients SET next_attempt_at = @now WHERE message_id = @id AND state IN " + PendingStates))
            {
                Add(command, "id", id);
                Add(command, "now", ToUnix(now));
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            using (var command = Command(connection, transaction,
                "UPDATE mm_messages SET next_attempt_at = (SELECT MIN(r.next_attempt_at) FROM mm_recipients r WHERE r.message_id = @id AND r.state IN " + PendingStates + ") WHERE id = @id"))
            {
                Add(command, "id", id);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return true;
        }, cancellationToken);
    }

    public Task<int> PurgeAsync(bool includePending, CancellationToken cancellationToken)
    {
        return WriteAsync("purge", async (connection, transaction, ct) =>
        {
            string which = includePending ? "" : " WHERE next_attempt_at IS NULL";
            using (var command = Command(connection, transaction, "DELETE FROM mm_recipients WHERE message_id IN (SELECT id FROM mm_messages" + which + ")"))
            {
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            using (var command = Command(connection, transaction, "DELETE FROM mm_bodies WHERE message_id IN (SELECT id FROM mm_messages" + which + ")"))
            {
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            using (var command = Command(connection, transaction, "DELETE FROM mm_messages" + which))
            {
                return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    public Task<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken)
    {
        return RunAsync<DateTimeOffset?>("read schedule", async ct =>
        {
            var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                using var command = Command(connection, null,
                    "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at THEN lease_until ELSE next_attempt_at END) " +
                    "FROM mm_messages WHERE next_attempt_at IS NOT NULL");
                object? value = await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
                return value is null or DBNull ? null : FromUnix(Convert.ToInt64(value, CultureInfo.InvariantCulture));
            }
        }, cancellationToken);
    }

    protected async Task<T> RunAsync<T>(string operation, Func<CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        try
        {
            return await action(cancellationToken).ConfigureAwait(false);
        }
        catch (DbException ex)
        {
            throw Translate(ex, operation);
        }
        catch (IOException ex)
        {
            throw new QueueStoreException($"Queue store {Description}: {operation} failed: {ex.Message}", ex) { IsTransient = true };
        }
    }

    /// <summary>Runs a write in a transaction shared with whatever other writes are waiting (group commit) and returns after the commit.</summary>
    /// <remarks>Every commit is an fsync; batching concurrent enqueues, leases and outcomes into one transaction is what lets the
    /// queue keep up with delivery. When a batch fails, its operations are retried one per transaction so only the culprit fails.
    /// Cancellation is honoured until the operation starts; after that it runs to its commit (no half-known outcome).</remarks>
    protected async Task<T> WriteAsync<T>(string operation, Func<DbConnection, DbTransaction, CancellationToken, Task<T>> action, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (!GroupCommit)
        {
            return await RunAsync(operation, async ct =>
            {
                var connection = await OpenAsync(ct).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    var transaction = await BeginWriteAsync(connection, ct).ConfigureAwait(false);
                    try
                    {
                        await using (transaction.ConfigureAwait(false))
                        {
                            T result = await action(connection, transaction, ct).ConfigureAwait(false);
                            // Not cancellable: once the work is done, committing must not be abandoned halfway.
                            await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                            return result;
                        }
                    }
                    finally
                    {
                        EndWrite();
                    }
                }
            }, cancellationToken).ConfigureAwait(false);
        }
        var write = new WriteOperation(operation, async (connection, transaction, ct) => await action(connection, transaction, ct).ConfigureAwait(false), cancellationToken);
        EnsureWriter();
        try
        {
            await _writes.Writer.WriteAsync(write, cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(GetType().Name, "The queue store has been disposed.");
        }
        return (T)(await write.Completion.Task.ConfigureAwait(false))!;
    }

    private void EnsureWriter()
    {
        if (_writer is null)
        {
            lock (_writerLock)
            {
                _writer ??= Task.Run(WriteLoopAsync);
            }
        }
    }

    /// <summary>Stops accepting writes and waits for the queued ones to commit.</summary>
    public async Task CloseAsync()
    {
        _writes.Writer.TryComplete();
        if (_writer is { } writer)
        {
            await writer.ConfigureAwait(false);
        }
    }

    private async Task WriteLoopAsync()
    {
        var batch = new List<WriteOperation>(MaxBatch);
        while (await _writes.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxBatch && _writes.Reader.TryRead(out var write))
            {
                if (write.CancellationToken.IsCancellationRequested)
                {
                    write.Completion.TrySetCanceled(write.CancellationToken);
                }
                else
                {
                    batch.Add(write);
                }
            }
            if (batch.Count == 0)
            {
                continue;
            }
            try
            {
                await CommitBatchAsync(batch).ConfigureAwait(false);
            }
            catch (Exception ex) when (batch.Count > 1 && Wrap(ex, "write") is QueueStoreException { IsTransient: true })
            {
                // The store itself is unavailable (locked, full, server gone): every operation fails the same way; do not wait once per operation.
                foreach (var write in batch)
                {
                    write.Completion.TrySetException(Wrap(ex, write.Operation));
                }
            }
            catch (Exception) when (batch.Count > 1)
            {
                foreach (var write in batch)
                {
                    try
                    {
                        await CommitBatchAsync([write]).ConfigureAwait(false);
                    }
                    catch (Exception ex)
                    {
                        write.Completion.TrySetException(Wrap(ex, write.Operation));
                    }
                }
            }
            catch (Exception ex)
            {
                batch[0].Completion.TrySetException(Wrap(ex, batch[0].Operation));
            }
        }
    }

    private async Task CommitBatchAsync(IReadOnlyList<WriteOperation> batch)
    {
        var results = new object?[batch.Count];
        var connection = await OpenAsync(CancellationToken.None).ConfigureAwait(false);
        await using (connection.ConfigureAwait(false))
        {
            var transaction = await BeginWriteAsync(connection, CancellationToken.None).ConfigureAwait(false);
            try
            {
                await using (transaction.ConfigureAwait(false))
                {
                    for (int i = 0; i < batch.Count; i++)
                    {
                        results[i] = await batch[i].Action(connection, transaction, CancellationToken.None).ConfigureAwait(false);
                    }
                    await transaction.CommitAsync(CancellationToken.None).ConfigureAwait(false);
                }
            }
            finally
            {
                EndWrite();
            }
        }
        for (int i = 0; i < batch.Count; i++)
        {
            batch[i].Completion.TrySetResult(results[i]);
        }
    }

    private Exception Wrap(Exception exception, string operation) => exception switch
    {
        DbException db => Translate(db, operation),
        IOException io => new QueueStoreException($"Queue store {Description}: {operation} failed: {io.Message}", io) { IsTransient = true },
        _ => exception,
    };

    private sealed class WriteOperation(string operation, Func<DbConnection, DbTransaction, CancellationToken, Task<object?>> action, CancellationToken cancellationToken)
    {
        public string Operation { get; } = operation;

        public Func<DbConnection, DbTransaction, CancellationToken, Task<object?>> Action { get; } = action;

        public CancellationToken CancellationToken { get; } = cancellationToken;

        public TaskCompletionSource<object?> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    internal static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    internal static DbParameter Add(DbCommand command, string name, object? value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value ?? DBNull.Value;
        command.Parameters.Add(parameter);
        return parameter;
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    private static long GetLong(DbDataReader reader, int ordinal) => Convert.ToInt64(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    private static int GetInt(DbDataReader reader, int ordinal) => Convert.ToInt32(reader.GetValue(ordinal), CultureInfo.InvariantCulture);

    internal static long ToUnix(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    internal static DateTimeOffset FromUnix(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
}
