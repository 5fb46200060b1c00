using System.Data.Common;
using System.Globalization;
using ModernMail.Delivery.Internal;

namespace ModernMail.Queue.Internal;

/// <summary>The queue's SQL, shared by the SQLite and PostgreSQL stores; a dialect supplies connections, locking and blobs.</summary>
/// <remarks>Times are stored as Unix milliseconds (bigint) so both databases run the same statements.
/// mm_messages.next_attempt_at is the earliest due time of the message's undelivered recipients, or NULL when all are final.</remarks>
internal abstract partial class SqlQueueCore
{
    private const string PendingStates = "(0, 1, 3)";
    private const string FinalStates = "(2, 4, 5, 6)";

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

    public Task<IReadOnlyList<RecipientState>> EnqueueAsync(QueueEntry entry, Stream message, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(message);
        if (entry.Envelope.Recipients.Count == 0)
        {
            throw new ArgumentException("A queued message needs at least one recipient.", nameof(entry));
        }
        return EnqueueCoreAsync(entry, message, cancellationToken);
    }

    private async Task<IReadOnlyList<RecipientState>> EnqueueCoreAsync(QueueEntry entry, Stream message, CancellationToken cancellationToken)
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
            return await WriteAsync("enqueue", async (connection, transaction, ct) =>
            {
                message.Position = start;
                return await InsertEntryAsync(connection, transaction, entry, message, ct).ConfigureAwait(false);
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

    /// <summary>Stores the message, its recipients and their first events; returns each recipient's first state (queued or suppressed).</summary>
    private async Task<IReadOnlyList<RecipientState>> InsertEntryAsync(DbConnection connection, DbTransaction transaction, QueueEntry entry, Stream message, CancellationToken cancellationToken)
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
        await InsertRecipientsAsync(connection, transaction, entry, cancellationToken).ConfigureAwait(false);
        return await SuppressAtEnqueueAsync(connection, transaction, entry, cancellationToken).ConfigureAwait(false);
    }

    private static async Task InsertRecipientsAsync(DbConnection connection, DbTransaction transaction, QueueEntry entry, CancellationToken cancellationToken)
    {
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

    /// <summary>The @flags, @domain, @annotations and @trace parameters of a new mm_messages row.</summary>
    protected static void AddEntryDetails(DbCommand command, QueueEntry entry)
    {
        Add(command, "flags", (int)MessageFlagsOf(entry));
        Add(command, "domain", entry.SuppressionScope);
        Add(command, "annotations", entry.Annotations);
        Add(command, "trace", entry.TraceParent);
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

    private static string? GetNullableString(DbDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);

    internal static MessageFlags MessageFlagsOf(QueueEntry entry) => entry.Envelope.RequireTls ? MessageFlags.RequireTls : MessageFlags.None;

    internal static long ToUnix(DateTimeOffset time) => time.ToUnixTimeMilliseconds();

    internal static DateTimeOffset FromUnix(long milliseconds) => DateTimeOffset.FromUnixTimeMilliseconds(milliseconds);
}
