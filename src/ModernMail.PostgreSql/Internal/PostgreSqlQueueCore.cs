using System;
using System.Data.Common;
using ModernMail.Queue;
using ModernMail.Queue.Internal;
using Npgsql;
using NpgsqlTypes;

namespace ModernMail.PostgreSql.Internal;

/// <summary>PostgreSQL dialect: pooled NpgsqlDataSource, leases taken with FOR UPDATE SKIP LOCKED, message bytes as bytea.</summary>
internal sealed class PostgreSqlQueueCore : SqlQueueCore, IAsyncDisposable
{
    // An arbitrary constant naming the "create the queue schema" advisory lock, so concurrent first starts do not race.
    private const long SchemaLockKey = 0x4D4D_5155_4555;

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly string _description;

    public PostgreSqlQueueCore(string connectionString)
        : this(NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(connectionString)), ownsDataSource: true)
    {
    }

    /// <summary>A core over <paramref name="dataSource"/>, disposing it with the core only when <paramref name="ownsDataSource"/>.</summary>
    public PostgreSqlQueueCore(NpgsqlDataSource dataSource, bool ownsDataSource)
    {
        // The data source's connection string never carries the password (unless Persist Security Info), and only names are used.
        var builder = new NpgsqlConnectionStringBuilder(dataSource.ConnectionString);
        _description = $"PostgreSQL database '{builder.Database}' on {builder.Host}:{builder.Port}";
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
    }

    protected override string Description => _description;

    // SKIP LOCKED: concurrent workers each take different due messages instead of queueing behind one another's row locks.
    protected override string LockClause => " FOR UPDATE SKIP LOCKED";

    protected override bool GroupCommit => false;

    protected override async Task<DbConnection> OpenAsync(CancellationToken cancellationToken)
        => await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);

    protected override async Task<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
        => await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);

    protected override async Task CreateSchemaAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (transaction.ConfigureAwait(false))
        {
            using var command = Command(connection, transaction, """
                SELECT pg_advisory_xact_lock(@key);
                CREATE TABLE IF NOT EXISTS mm_messages (
                    id text NOT NULL PRIMARY KEY,
                    sender text NULL,
                    size bigint NOT NULL,
                    created_at bigint NOT NULL,
                    expires_at bigint NOT NULL,
                    next_attempt_at bigint NULL,
                    lease_owner text NULL,
                    lease_until bigint NULL);
                CREATE TABLE IF NOT EXISTS mm_bodies (
                    message_id text NOT NULL PRIMARY KEY,
                    body bytea NOT NULL);
                CREATE INDEX IF NOT EXISTS mm_messages_due ON mm_messages (next_attempt_at) WHERE next_attempt_at IS NOT NULL;
                CREATE INDEX IF NOT EXISTS mm_messages_owner ON mm_messages (lease_owner) WHERE lease_owner IS NOT NULL;
                CREATE TABLE IF NOT EXISTS mm_recipients (
                    message_id text NOT NULL,
                    idx integer NOT NULL,
                    address text NOT NULL,
                    state integer NOT NULL,
                    attempts integer NOT NULL,
                    next_attempt_at bigint NULL,
                    last_reply text NULL,
                    updated_at bigint NOT NULL,
                    PRIMARY KEY (message_id, idx));
                CREATE TABLE IF NOT EXISTS mm_attempts (
                    message_id text NOT NULL,
                    idx integer NOT NULL,
                    attempt integer NOT NULL,
                    at bigint NOT NULL,
                    state integer NOT NULL,
                    mx text NULL,
                    tls text NULL,
                    tls_policy integer NOT NULL,
                    reply text NULL,
                    PRIMARY KEY (message_id, idx, attempt));
                -- Columns added later: databases written before them get no flags (REQUIRETLS), sender domain, annotations, trace or category.
                ALTER TABLE mm_messages ADD COLUMN IF NOT EXISTS flags integer NOT NULL DEFAULT 0;
                ALTER TABLE mm_messages ADD COLUMN IF NOT EXISTS sender_domain text NULL;
                ALTER TABLE mm_messages ADD COLUMN IF NOT EXISTS annotations text NULL;
                ALTER TABLE mm_messages ADD COLUMN IF NOT EXISTS trace_parent text NULL;
                ALTER TABLE mm_attempts ADD COLUMN IF NOT EXISTS category integer NOT NULL DEFAULT 0;
                -- txid orders events by commit: readers hand out only events of transactions older than every running one.
                CREATE TABLE IF NOT EXISTS mm_events (
                    seq bigserial PRIMARY KEY,
                    txid xid8 NOT NULL DEFAULT pg_current_xact_id(),
                    type integer NOT NULL,
                    message_id text NOT NULL,
                    idx integer NOT NULL,
                    recipient text NOT NULL,
                    at bigint NOT NULL,
                    category integer NOT NULL,
                    reply text NULL,
                    mx text NULL,
                    tls text NULL,
                    annotations text NULL,
                    sender_domain text NULL);
                CREATE INDEX IF NOT EXISTS mm_events_order ON mm_events (txid, seq);
                CREATE INDEX IF NOT EXISTS mm_events_message ON mm_events (message_id);
                CREATE TABLE IF NOT EXISTS mm_suppressions (
                    address text NOT NULL,
                    scope text NOT NULL,
                    reason integer NOT NULL,
                    created_at bigint NOT NULL,
                    message_id text NULL,
                    detail text NULL,
                    PRIMARY KEY (address, scope));
                CREATE TABLE IF NOT EXISTS mm_subscriptions (
                    name text PRIMARY KEY,
                    cursor text NULL,
                    created_at bigint NOT NULL,
                    owner text NULL,
                    lease_until bigint NOT NULL);
                -- Databases written before bodies had their own table kept them in mm_messages.body: move them out once.
                DO $$
                BEGIN
                    IF EXISTS (SELECT 1 FROM information_schema.columns
                               WHERE table_schema = current_schema() AND table_name = 'mm_messages' AND column_name = 'body') THEN
                        INSERT INTO mm_bodies (message_id, body) SELECT id, body FROM mm_messages WHERE body IS NOT NULL ON CONFLICT DO NOTHING;
                        ALTER TABLE mm_messages DROP COLUMN body;
                    END IF;
                END $$;
                """);
            Add(command, "key", SchemaLockKey);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    protected override async Task InsertMessageAsync(DbConnection connection, DbTransaction transaction, QueueEntry entry, Stream body, long size, CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction,
            "INSERT INTO mm_messages (id, sender, size, created_at, expires_at, next_attempt_at, flags, sender_domain, annotations, trace_parent) " +
            "VALUES (@id, @sender, @size, @created, @expires, @created, @flags, @domain, @annotations, @trace); " +
            "INSERT INTO mm_bodies (message_id, body) VALUES (@id, @body)");
        AddEntryDetails(command, entry);
        Add(command, "id", entry.Id);
        Add(command, "sender", entry.Envelope.Sender?.Address);
        Add(command, "size", size);
        Add(command, "created", ToUnix(entry.CreatedAt));
        Add(command, "expires", ToUnix(entry.ExpiresAt));
        // Npgsql streams a Stream parameter into the bytea value instead of buffering it first.
        command.Parameters.Add(new NpgsqlParameter("body", NpgsqlDbType.Bytea) { Value = body, Size = checked((int)size) });
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override string EventOrderColumns => ", e.txid::text";

    protected override string EventOrderBy => "e.txid, e.seq";

    /// <summary>Cursor "TXID.SEQ"; only events of transactions older than every transaction still running are handed out, so an
    /// event committed late by another node can never sort before a cursor a reader already holds.</summary>
    protected override void AddEventCursor(DbCommand command, List<string> where, string? after)
    {
        where.Add("e.txid < pg_snapshot_xmin(pg_current_snapshot())");
        if (after is null)
        {
            return;
        }
        int dot = after.IndexOf('.', StringComparison.Ordinal);
        if (dot <= 0 || !ulong.TryParse(after.AsSpan(0, dot), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out ulong txid)
            || !long.TryParse(after.AsSpan(dot + 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out long seq))
        {
            throw new ArgumentException($"'{after}' is not an event cursor of this store.", nameof(after));
        }
        where.Add("(e.txid > @after_tx::xid8 OR (e.txid = @after_tx::xid8 AND e.seq > @after_seq))");
        Add(command, "after_tx", txid.ToString(System.Globalization.CultureInfo.InvariantCulture));
        Add(command, "after_seq", seq);
    }

    protected override string EventCursor(DbDataReader reader, int ordinal) =>
        reader.GetString(ordinal) + "." + reader.GetInt64(0).ToString(System.Globalization.CultureInfo.InvariantCulture);

    protected override async Task<bool> ReadBodyAsync(DbConnection connection, string id, Stream destination, CancellationToken cancellationToken)
    {
        using var command = Command(connection, null, "SELECT body FROM mm_bodies WHERE message_id = @id");
        Add(command, "id", id);
        // SequentialAccess makes Npgsql stream the bytea column instead of buffering the whole row.
        var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return false;
            }
            var source = await reader.GetFieldValueAsync<Stream>(0, cancellationToken).ConfigureAwait(false);
            await using (source.ConfigureAwait(false))
            {
                await source.CopyToAsync(destination, 81920, cancellationToken).ConfigureAwait(false);
            }
            return true;
        }
    }

    protected override QueueStoreException Translate(DbException exception, string operation)
    {
        if (exception is PostgresException postgres)
        {
            // Class 08 connection exception, 57P0x shutdown/cannot connect now, 40001/40P01 serialization/deadlock, 53xxx resources.
            bool transient = postgres.SqlState.StartsWith("08", StringComparison.Ordinal)
                || postgres.SqlState.StartsWith("57P", StringComparison.Ordinal)
                || postgres.SqlState.StartsWith("53", StringComparison.Ordinal)
                || postgres.SqlState is "40001" or "40P01";
            return new QueueStoreException($"{Description}: {operation} failed: {postgres.SqlState} {postgres.MessageText}", exception) { IsTransient = transient };
        }
        // NpgsqlException without a server error: the connection could not be made or was lost (server restarting, network).
        return new QueueStoreException($"{Description}: {operation} failed, the server is unreachable or the connection was lost: {exception.Message}", exception)
        {
            IsTransient = exception is NpgsqlException { IsTransient: true } || exception.InnerException is IOException or System.Net.Sockets.SocketException or TimeoutException,
        };
    }

    public ValueTask DisposeAsync() => _ownsDataSource ? _dataSource.DisposeAsync() : ValueTask.CompletedTask;
}
