using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using ModernMail.Queue;

namespace ModernMail.Server.Storage;

/// <summary>The server's state in one SQLite file ("server.db" in the data directory): WAL journal, synchronous=FULL.</summary>
/// <remarks>A separate file from the queue so the queue can live in PostgreSQL while keys stay local, and so a queue purge
/// never touches keys. Failures surface as <see cref="QueueStoreException"/>, the one "store failed" type the CLI and API map.</remarks>
public sealed class SqliteServerStore : IServerStore
{
    private const int SchemaVersion = 2;

    private const string Schema = """
        CREATE TABLE IF NOT EXISTS api_keys (
            id TEXT PRIMARY KEY,
            name TEXT NOT NULL,
            secret_hash BLOB NOT NULL,
            domains TEXT NOT NULL,
            created_at INTEGER NOT NULL,
            revoked_at INTEGER);
        CREATE UNIQUE INDEX IF NOT EXISTS api_keys_active_name ON api_keys(name) WHERE revoked_at IS NULL;
        CREATE TABLE IF NOT EXISTS idempotency (
            key_id TEXT NOT NULL,
            idem_key TEXT NOT NULL,
            request_hash BLOB NOT NULL,
            status INTEGER NOT NULL,
            body BLOB NOT NULL,
            created_at INTEGER NOT NULL,
            owner TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (key_id, idem_key));
        CREATE INDEX IF NOT EXISTS idempotency_created ON idempotency(created_at);
        CREATE TABLE IF NOT EXISTS message_info (
            message_id TEXT PRIMARY KEY,
            key_id TEXT NOT NULL,
            tags TEXT,
            metadata TEXT);
        """;

    private readonly string _connectionString;
    private readonly SemaphoreSlim _writer = new(1, 1);

    /// <summary>Opens (lazily) the store in <paramref name="dataDirectory"/>, creating the directory if needed.</summary>
    /// <exception cref="QueueStoreException">The directory cannot be created.</exception>
    public SqliteServerStore(string dataDirectory)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        string directory = System.IO.Path.GetFullPath(dataDirectory);
        try
        {
            Directory.CreateDirectory(directory);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new QueueStoreException($"Server data directory '{directory}' cannot be created: {ex.Message}", ex);
        }
        Path = System.IO.Path.Combine(directory, "server.db");
        _connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = Path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    private string Description => $"Server database '{Path}'";

    /// <inheritdoc />
    public async Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        await WriteAsync("initialize", async (connection, transaction) =>
        {
            int version = Convert.ToInt32(await ScalarAsync(connection, transaction, "PRAGMA user_version", [], cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture);
            if (version > SchemaVersion)
            {
                throw new QueueStoreException($"{Description} has schema version {version}; this mailbroker knows up to {SchemaVersion}. Upgrade mailbroker.");
            }
            if (version == 1)
            {
                // Version 2 records which server process holds an open claim, so a claim left by a dead process can be resumed.
                await ExecuteAsync(connection, transaction, "ALTER TABLE idempotency ADD COLUMN owner TEXT NOT NULL DEFAULT ''", [], cancellationToken).ConfigureAwait(false);
            }
            await ExecuteAsync(connection, transaction, Schema + $"PRAGMA user_version = {SchemaVersion};", [], cancellationToken).ConfigureAwait(false);
            return 0;
        }, cancellationToken, beforeTransaction: async connection =>
        {
            using var command = connection.CreateCommand();
            command.CommandText = "PRAGMA journal_mode = WAL";
            await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
        }).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public Task PingAsync(CancellationToken cancellationToken = default) =>
        ReadAsync("ping", async connection => await ScalarAsync(connection, null, "SELECT count(*) FROM api_keys", [], cancellationToken).ConfigureAwait(false), cancellationToken);

    /// <inheritdoc />
    public Task<bool> InsertKeyAsync(StoredApiKey key, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(key);
        return WriteAsync("create key", async (connection, transaction) =>
        {
            object? taken = await ScalarAsync(connection, transaction, "SELECT 1 FROM api_keys WHERE name = $name AND revoked_at IS NULL", [("$name", key.Name)], cancellationToken).ConfigureAwait(false);
            if (taken is not null)
            {
                return false;
            }
            await ExecuteAsync(connection, transaction,
                "INSERT INTO api_keys (id, name, secret_hash, domains, created_at, revoked_at) VALUES ($id, $name, $hash, $domains, $created, NULL)",
                [("$id", key.Id), ("$name", key.Name), ("$hash", key.SecretHash), ("$domains", string.Join('\n', key.Domains)), ("$created", key.CreatedAt.ToUnixTimeMilliseconds())],
                cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<StoredApiKey?> FindKeyAsync(string id, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(id);
        return ReadAsync("find key", async connection =>
        {
            var keys = await QueryKeysAsync(connection, "WHERE id = $id", [("$id", id)], cancellationToken).ConfigureAwait(false);
            return keys.Count == 0 ? null : keys[0];
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<StoredApiKey>> ListKeysAsync(CancellationToken cancellationToken = default) =>
        ReadAsync("list keys", connection => QueryKeysAsync(connection, "ORDER BY created_at, id", [], cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<bool> RevokeKeyAsync(string nameOrId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(nameOrId);
        return WriteAsync("revoke key", async (connection, transaction) =>
        {
            int changed = await ExecuteAsync(connection, transaction,
                "UPDATE api_keys SET revoked_at = $at WHERE (name = $key OR id = $key) AND revoked_at IS NULL",
                [("$at", revokedAt.ToUnixTimeMilliseconds()), ("$key", nameOrId)], cancellationToken).ConfigureAwait(false);
            return changed > 0;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<IdempotencyRecord?> TryClaimIdempotencyAsync(string keyId, string idempotencyKey, byte[] requestHash, DateTimeOffset now, DateTimeOffset expiredBefore, string owner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(keyId);
        ArgumentNullException.ThrowIfNull(idempotencyKey);
        ArgumentNullException.ThrowIfNull(requestHash);
        ArgumentNullException.ThrowIfNull(owner);
        return WriteAsync("claim idempotency key", async (connection, transaction) =>
        {
            using (var select = Command(connection, transaction,
                "SELECT request_hash, status, body, created_at, owner FROM idempotency WHERE key_id = $key AND idem_key = $idem AND created_at >= $expired",
                [("$key", keyId), ("$idem", idempotencyKey), ("$expired", expiredBefore.ToUnixTimeMilliseconds())]))
            using (var reader = await select.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
            {
                if (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    return new IdempotencyRecord((byte[])reader.GetValue(0), reader.GetInt32(1), (byte[])reader.GetValue(2),
                        DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)), reader.GetString(4));
                }
            }
            // An expired record with the same key is replaced: after 24 hours the key may be reused.
            await ExecuteAsync(connection, transaction,
                "INSERT OR REPLACE INTO idempotency (key_id, idem_key, request_hash, status, body, created_at, owner) VALUES ($key, $idem, $hash, 0, x'', $now, $owner)",
                [("$key", keyId), ("$idem", idempotencyKey), ("$hash", requestHash), ("$now", now.ToUnixTimeMilliseconds()), ("$owner", owner)], cancellationToken).ConfigureAwait(false);
            return (IdempotencyRecord?)null;
        }, cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> TryTakeOverIdempotencyAsync(string keyId, string idempotencyKey, string fromOwner, string toOwner, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fromOwner);
        ArgumentNullException.ThrowIfNull(toOwner);
        return WriteAsync("resume idempotency key", async (connection, transaction) => await ExecuteAsync(connection, transaction,
            "UPDATE idempotency SET owner = $to WHERE key_id = $key AND idem_key = $idem AND status = 0 AND owner = $from",
            [("$to", toOwner), ("$key", keyId), ("$idem", idempotencyKey), ("$from", fromOwner)], cancellationToken).ConfigureAwait(false) == 1, cancellationToken);
    }

    /// <inheritdoc />
    public Task CompleteIdempotencyAsync(string keyId, string idempotencyKey, int statusCode, byte[] body, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(body);
        return WriteAsync("record idempotent answer", (connection, transaction) => ExecuteAsync(connection, transaction,
            "UPDATE idempotency SET status = $status, body = $body WHERE key_id = $key AND idem_key = $idem",
            [("$status", statusCode), ("$body", body), ("$key", keyId), ("$idem", idempotencyKey)], cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public Task ReleaseIdempotencyAsync(string keyId, string idempotencyKey, CancellationToken cancellationToken = default) =>
        WriteAsync("release idempotency key", (connection, transaction) => ExecuteAsync(connection, transaction,
            "DELETE FROM idempotency WHERE key_id = $key AND idem_key = $idem AND status = 0",
            [("$key", keyId), ("$idem", idempotencyKey)], cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task<int> PurgeIdempotencyAsync(DateTimeOffset before, CancellationToken cancellationToken = default) =>
        WriteAsync("purge idempotency records", (connection, transaction) => ExecuteAsync(connection, transaction,
            "DELETE FROM idempotency WHERE created_at < $before", [("$before", before.ToUnixTimeMilliseconds())], cancellationToken), cancellationToken);

    /// <inheritdoc />
    public Task SaveMessageInfoAsync(MessageInfo info, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(info);
        return WriteAsync("save message info", (connection, transaction) => ExecuteAsync(connection, transaction,
            "INSERT OR REPLACE INTO message_info (message_id, key_id, tags, metadata) VALUES ($id, $key, $tags, $metadata)",
            [("$id", info.MessageId), ("$key", info.KeyId), ("$tags", info.Tags), ("$metadata", info.Metadata)], cancellationToken), cancellationToken);
    }

    /// <inheritdoc />
    public Task<MessageInfo?> GetMessageInfoAsync(string messageId, CancellationToken cancellationToken = default) =>
        ReadAsync("read message info", async connection =>
        {
            using var command = Command(connection, null, "SELECT key_id, tags, metadata FROM message_info WHERE message_id = $id", [("$id", messageId)]);
            using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
            return new MessageInfo(messageId, reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetString(2));
        }, cancellationToken);

    /// <summary>Closes pooled connections to the database file.</summary>
    public ValueTask DisposeAsync()
    {
        using (var connection = new SqliteConnection(_connectionString))
        {
            SqliteConnection.ClearPool(connection);
        }
        _writer.Dispose();
        return ValueTask.CompletedTask;
    }

    private static async Task<IReadOnlyList<StoredApiKey>> QueryKeysAsync(SqliteConnection connection, string clause, (string, object?)[] parameters, CancellationToken cancellationToken)
    {
        using var command = Command(connection, null, "SELECT id, name, secret_hash, domains, created_at, revoked_at FROM api_keys " + clause, parameters);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var keys = new List<StoredApiKey>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            string domains = reader.GetString(3);
            keys.Add(new StoredApiKey(
                reader.GetString(0),
                reader.GetString(1),
                (byte[])reader.GetValue(2),
                domains.Length == 0 ? [] : domains.Split('\n'),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)),
                reader.IsDBNull(5) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(5))));
        }
        return keys;
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            using var command = connection.CreateCommand();
            // FULL: an idempotency record is on disk before the 202 that it guards is sent.
            command.CommandText = "PRAGMA synchronous = FULL; PRAGMA busy_timeout = 30000;";
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private async Task<T> ReadAsync<T>(string operation, Func<SqliteConnection, Task<T>> read, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                return await read(connection).ConfigureAwait(false);
            }
        }
        catch (DbException ex)
        {
            throw Translate(ex, operation);
        }
    }

    private async Task<T> WriteAsync<T>(string operation, Func<SqliteConnection, DbTransaction, Task<T>> write, CancellationToken cancellationToken, Func<SqliteConnection, Task>? beforeTransaction = null)
    {
        // One writer per process avoids SQLITE_BUSY spinning between our own connections; other processes wait on busy_timeout.
        await _writer.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                if (beforeTransaction is not null)
                {
                    await beforeTransaction(connection).ConfigureAwait(false);
                }
                var transaction = connection.BeginTransaction(deferred: false);
                await using (transaction.ConfigureAwait(false))
                {
                    T result = await write(connection, transaction).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                    return result;
                }
            }
        }
        catch (DbException ex)
        {
            throw Translate(ex, operation);
        }
        finally
        {
            _writer.Release();
        }
    }

    private QueueStoreException Translate(DbException exception, string operation)
    {
        int code = exception is SqliteException sqlite ? sqlite.SqliteErrorCode : 0;
        return code switch
        {
            5 or 6 => new QueueStoreException($"{Description} is locked; {operation} gave up after the busy timeout.", exception) { IsTransient = true },
            11 or 26 => new QueueStoreException($"{Description} is corrupt or not a SQLite database ({exception.Message}). Restore it from a backup or move it aside.", exception),
            13 => new QueueStoreException($"{Description}: disk full during {operation}; nothing was changed.", exception) { IsTransient = true },
            14 => new QueueStoreException($"{Description} cannot be opened ({exception.Message}); check the path and permissions.", exception),
            8 => new QueueStoreException($"{Description} is read-only ({exception.Message}); check permissions.", exception),
            _ => new QueueStoreException($"{Description}: {operation} failed: {exception.Message}", exception) { IsTransient = code == 10 },
        };
    }

    private static SqliteCommand Command(SqliteConnection connection, DbTransaction? transaction, string sql, (string Name, object? Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Transaction = (SqliteTransaction?)transaction;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value ?? DBNull.Value);
        }
        return command;
    }

    private static async Task<int> ExecuteAsync(SqliteConnection connection, DbTransaction? transaction, string sql, (string, object?)[] parameters, CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, DbTransaction? transaction, string sql, (string, object?)[] parameters, CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction, sql, parameters);
        return await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false);
    }
}
