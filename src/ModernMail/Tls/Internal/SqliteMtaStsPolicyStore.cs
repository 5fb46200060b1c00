using Microsoft.Data.Sqlite;

namespace ModernMail.Tls.Internal;

/// <summary>MTA-STS policies in a table of a SQLite database (DATA/tls.db next to the queue, so a server keeps them with its other state).</summary>
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
        return await TlsStateSql.LoadPolicyAsync(connection, domain, cancellationToken).ConfigureAwait(false);
    }

    public async Task SaveAsync(MtaStsPolicy policy, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var _ = connection.ConfigureAwait(false);
        await TlsStateSql.SavePolicyAsync(connection, policy, cancellationToken).ConfigureAwait(false);
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
