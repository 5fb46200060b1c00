using Microsoft.Data.Sqlite;

namespace ModernMail.Tls.Internal;

/// <summary>MTA-STS policies in a table of a SQLite database (the queue's, so a server keeps them with its other state).</summary>
internal sealed class SqliteMtaStsPolicyStore : IMtaStsPolicyStore
{
    private const string Schema = """
        CREATE TABLE IF NOT EXISTS mm_mta_sts (
            domain TEXT PRIMARY KEY,
            id TEXT NOT NULL,
            mode INTEGER NOT NULL,
            mx TEXT NOT NULL,
            max_age INTEGER NOT NULL,
            fetched_at INTEGER NOT NULL)
        """;

    private readonly string _connectionString;
    private int _created;

    public SqliteMtaStsPolicyStore(string path)
    {
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    public async Task<MtaStsPolicy?> LoadAsync(string domain, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var _ = connection.ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT id, mode, mx, max_age, fetched_at FROM mm_mta_sts WHERE domain = $domain";
        command.Parameters.AddWithValue("$domain", domain);
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            return null;
        }
        return new MtaStsPolicy(domain, reader.GetString(0), (MtaStsMode)reader.GetInt32(1),
            reader.GetString(2).Split('\n', StringSplitOptions.RemoveEmptyEntries), TimeSpan.FromSeconds(reader.GetInt64(3)),
            DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)));
    }

    public async Task SaveAsync(MtaStsPolicy policy, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var _ = connection.ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "INSERT OR REPLACE INTO mm_mta_sts (domain, id, mode, mx, max_age, fetched_at) VALUES ($domain, $id, $mode, $mx, $maxAge, $fetched)";
        command.Parameters.AddWithValue("$domain", policy.Domain);
        command.Parameters.AddWithValue("$id", policy.Id);
        command.Parameters.AddWithValue("$mode", (int)policy.Mode);
        command.Parameters.AddWithValue("$mx", string.Join('\n', policy.MxPatterns));
        command.Parameters.AddWithValue("$maxAge", (long)policy.MaxAge.TotalSeconds);
        command.Parameters.AddWithValue("$fetched", policy.FetchedAt.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _created) == 0)
        {
            using var create = connection.CreateCommand();
            create.CommandText = Schema;
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _created, 1);
        }
        return connection;
    }
}
