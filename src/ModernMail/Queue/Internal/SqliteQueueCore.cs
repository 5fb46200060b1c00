using System;
using System.Data.Common;
using Microsoft.Data.Sqlite;

namespace ModernMail.Queue.Internal;

/// <summary>SQLite dialect: WAL journal, synchronous=FULL, one writer at a time, message bytes as blobs in the database.</summary>
internal sealed class SqliteQueueCore : SqlQueueCore, IDisposable
{
    private readonly string _connectionString;
    private readonly string _path;
    private readonly SemaphoreSlim _writer = new(1, 1);

    public SqliteQueueCore(string path, TimeSpan busyTimeout)
    {
        _path = path;
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(busyTimeout.TotalSeconds),
        }.ToString();
    }

    public string Path => _path;

    protected override string Description => $"SQLite database '{_path}'";

    protected override string LockClause => "";

    protected override bool GroupCommit => true;

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            // synchronous is per connection: FULL makes every commit fsync the WAL, so a committed enqueue survives power loss.
            command.CommandText = "PRAGMA synchronous = FULL; PRAGMA busy_timeout = " + (connection.DefaultTimeout * 1000).ToString(System.Globalization.CultureInfo.InvariantCulture) + ";";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    protected override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        // One writer per process avoids SQLITE_BUSY spinning between our own connections; other processes wait on busy_timeout.
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return ((SqliteConnection)connection).BeginTransaction(deferred: false);
        }
        catch
        {
            _writer.Release();
            throw;
        }
    }

    protected override void EndWrite() => _writer.Release();

    protected override async Task CreateSchemaAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA journal_mode = WAL";
            string? mode = (string?)await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
            {
                throw new QueueStoreException($"{Description}: could not switch to WAL journal mode (got '{mode}').");
            }
        }
        using (var command = connection.CreateCommand())
        {
            command.CommandText = "PRAGMA quick_check";
            var problems = new List<string>();
            using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    problems.Add(reader.GetString(0));
                }
            }
            if (problems is not ["ok"])
            {
                throw new QueueStoreException($"{Description} is corrupt (integrity check: {SummarizeIntegrityCheck(problems)}). Restore it from a backup or move it aside; the queue will not start on it.");
            }
        }
        using (var command = connection.CreateCommand())
        {
            command.CommandText = """
                CREATE TABLE IF NOT EXISTS mm_messages (
                    id TEXT NOT NULL PRIMARY KEY,
                    sender TEXT NULL,
                    size INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL,
                    next_attempt_at INTEGER NULL,
                    lease_owner TEXT NULL,
                    lease_until INTEGER NULL);
                CREATE TABLE IF NOT EXISTS mm_bodies (
                    message_id TEXT NOT NULL PRIMARY KEY,
                    body BLOB NOT NULL);
                CREATE INDEX IF NOT EXISTS mm_messages_due ON mm_messages (next_attempt_at);
                CREATE INDEX IF NOT EXISTS mm_messages_owner ON mm_messages (lease_owner);
                CREATE TABLE IF NOT EXISTS mm_recipients (
                    message_id TEXT NOT NULL,
                    idx INTEGER NOT NULL,
                    address TEXT NOT NULL,
                    state INTEGER NOT NULL,
                    attempts INTEGER NOT NULL,
                    next_attempt_at INTEGER NULL,
                    last_reply TEXT NULL,
                    updated_at INTEGER NOT NULL,
                    PRIMARY KEY (message_id, idx));
                CREATE TABLE IF NOT EXISTS mm_attempts (
                    message_id TEXT NOT NULL,
                    idx INTEGER NOT NULL,
                    attempt INTEGER NOT NULL,
                    at INTEGER NOT NULL,
                    state INTEGER NOT NULL,
                    mx TEXT NULL,
                    tls TEXT NULL,
                    tls_policy INTEGER NOT NULL,
                    reply TEXT NULL,
                    PRIMARY KEY (message_id, idx, attempt));
                CREATE TABLE IF NOT EXISTS mm_events (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT,
                    type INTEGER NOT NULL,
                    message_id TEXT NOT NULL,
                    idx INTEGER NOT NULL,
                    recipient TEXT NOT NULL,
                    at INTEGER NOT NULL,
                    category INTEGER NOT NULL,
                    reply TEXT NULL,
                    mx TEXT NULL,
                    tls TEXT NULL,
                    annotations TEXT NULL,
                    sender_domain TEXT NULL);
                CREATE INDEX IF NOT EXISTS mm_events_message ON mm_events (message_id);
                CREATE TABLE IF NOT EXISTS mm_suppressions (
                    address TEXT NOT NULL,
                    scope TEXT NOT NULL,
                    reason INTEGER NOT NULL,
                    created_at INTEGER NOT NULL,
                    message_id TEXT NULL,
                    detail TEXT NULL,
                    PRIMARY KEY (address, scope));
                CREATE TABLE IF NOT EXISTS mm_subscriptions (
                    name TEXT PRIMARY KEY,
                    cursor TEXT NULL,
                    created_at INTEGER NOT NULL,
                    owner TEXT NULL,
                    lease_until INTEGER NOT NULL);
                """;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await MoveInlineBodiesAsync(connection, cancellationToken).ConfigureAwait(false);
        // Databases written before these columns get them: no flags (REQUIRETLS), no sender domain, annotations or trace, no category.
        await AddColumnAsync(connection, "mm_messages", "flags", "INTEGER NOT NULL DEFAULT 0", cancellationToken).ConfigureAwait(false);
        await AddColumnAsync(connection, "mm_messages", "sender_domain", "TEXT NULL", cancellationToken).ConfigureAwait(false);
        await AddColumnAsync(connection, "mm_messages", "annotations", "TEXT NULL", cancellationToken).ConfigureAwait(false);
        await AddColumnAsync(connection, "mm_messages", "trace_parent", "TEXT NULL", cancellationToken).ConfigureAwait(false);
        await AddColumnAsync(connection, "mm_attempts", "category", "INTEGER NOT NULL DEFAULT 0", cancellationToken).ConfigureAwait(false);
    }

    private static async Task AddColumnAsync(DbConnection connection, string table, string column, string definition, CancellationToken cancellationToken)
    {
        using var probe = connection.CreateCommand();
        probe.CommandText = $"SELECT COUNT(*) FROM pragma_table_info('{table}') WHERE name = '{column}'";
        if (Convert.ToInt64(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) != 0)
        {
            return;
        }
        using var alter = connection.CreateCommand();
        alter.CommandText = $"ALTER TABLE {table} ADD COLUMN {column} {definition}";
        await alter.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Databases written before bodies had their own table kept them in mm_messages.body: move them out once.</summary>
    /// <remarks>SQLite rewrites a whole row, overflow pages included, on every UPDATE: with the body inline, each lease,
    /// renewal and completion of a 100 MB message copied 100 MB through the page cache and the WAL.</remarks>
    private static async Task MoveInlineBodiesAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        using var probe = connection.CreateCommand();
        probe.CommandText = "SELECT COUNT(*) FROM pragma_table_info('mm_messages') WHERE name = 'body'";
        if (Convert.ToInt64(await probe.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), System.Globalization.CultureInfo.InvariantCulture) == 0)
        {
            return;
        }
        using var transaction = ((SqliteConnection)connection).BeginTransaction(deferred: false);
        using var move = connection.CreateCommand();
        move.Transaction = (SqliteTransaction)transaction;
        move.CommandText = """
            INSERT OR IGNORE INTO mm_bodies (message_id, body) SELECT id, body FROM mm_messages WHERE body IS NOT NULL;
            ALTER TABLE mm_messages DROP COLUMN body;
            """;
        await move.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task InsertMessageAsync(DbConnection connection, DbTransaction transaction, QueueEntry entry, Stream body, long size, CancellationToken cancellationToken)
    {
        using (var command = Command(connection, transaction,
            "INSERT INTO mm_messages (id, sender, size, created_at, expires_at, next_attempt_at, flags, sender_domain, annotations, trace_parent) " +
            "VALUES (@id, @sender, @size, @created, @expires, @created, @flags, @domain, @annotations, @trace)"))
        {
            AddEntryDetails(command, entry);
            Add(command, "id", entry.Id);
            Add(command, "sender", entry.Envelope.Sender?.Address);
            Add(command, "size", size);
            Add(command, "created", ToUnix(entry.CreatedAt));
            Add(command, "expires", ToUnix(entry.ExpiresAt));
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        long rowId;
        using (var command = Command(connection, transaction, "INSERT INTO mm_bodies (message_id, body) VALUES (@id, zeroblob(@size)) RETURNING rowid"))
        {
            Add(command, "id", entry.Id);
            Add(command, "size", size);
            rowId = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0L);
        }
        // Stream the bytes into the reserved blob inside the same transaction: the message is never held whole in memory.
        using var blob = new SqliteBlob((SqliteConnection)connection, "mm_bodies", "body", rowId);
        await body.CopyToAsync(blob, 81920, cancellationToken).ConfigureAwait(false);
    }

    protected override async Task<bool> ReadBodyAsync(DbConnection connection, string id, Stream destination, CancellationToken cancellationToken)
    {
        long rowId;
        using (var command = Command(connection, null, "SELECT rowid FROM mm_bodies WHERE message_id = @id"))
        {
            Add(command, "id", id);
            object? value = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
            if (value is not long found)
            {
                return false;
            }
            rowId = found;
        }
        // Incremental blob I/O: the body is read in 80 KB pieces, never materialised whole.
        using var blob = new SqliteBlob((SqliteConnection)connection, "mm_bodies", "body", rowId, readOnly: true);
        await blob.CopyToAsync(destination, 81920, cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>The first few problems quick_check reported and how many more there were: one readable line, not a page.</summary>
    internal static string SummarizeIntegrityCheck(IReadOnlyList<string> problems)
    {
        const int Shown = 3;
        if (problems.Count == 0)
        {
            return "no result";
        }
        string head = string.Join("; ", problems.Take(Shown).Select(p => p.ReplaceLineEndings(" ")));
        return problems.Count > Shown ? $"{head}; and {problems.Count - Shown} more problem(s)" : head;
    }

    protected override QueueStoreException Translate(DbException exception, string operation)
    {
        if (exception is not SqliteException sqlite)
        {
            return new QueueStoreException($"{Description}: {operation} failed: {exception.Message}", exception);
        }
        // Primary result codes, https://sqlite.org/rescode.html
        return (sqlite.SqliteErrorCode & 0xFF) switch
        {
            5 or 6 => new QueueStoreException($"{Description} is locked by another process or connection; {operation} gave up after the busy timeout.", exception) { IsTransient = true },
            11 or 26 => new QueueStoreException($"{Description} is corrupt or not a SQLite database ({sqlite.Message}). Restore it from a backup or move it aside; the queue will not use it.", exception),
            13 => new QueueStoreException($"{Description}: disk full during {operation}; nothing was changed. Free space and retry.", exception) { IsTransient = true },
            14 => new QueueStoreException($"{Description} cannot be opened ({sqlite.Message}); check the path and permissions.", exception),
            8 => new QueueStoreException($"{Description} is read-only ({sqlite.Message}); check permissions.", exception),
            10 => new QueueStoreException($"{Description}: I/O error during {operation} ({sqlite.Message}).", exception) { IsTransient = true },
            _ => new QueueStoreException($"{Description}: {operation} failed: {sqlite.Message}", exception),
        };
    }

    public void Dispose() => _writer.Dispose();
}
