using Microsoft.Data.Sqlite;

namespace ModernMail.Tls.Internal;

/// <summary>MTA-STS policies and TLS-RPT counts in one SQLite file (<c>DATA/tls.db</c> next to the queue), the SQLite twin of
/// the PostgreSQL store; the statements are <see cref="TlsStateSql"/>'s.</summary>
internal sealed class SqliteTlsStore : IMtaStsPolicyStore, ITlsReportStore
{
    private const string Schema = """
        PRAGMA journal_mode = WAL;
        CREATE TABLE IF NOT EXISTS mm_mta_sts (
            domain TEXT PRIMARY KEY,
            id TEXT NOT NULL,
            mode INTEGER NOT NULL,
            mx TEXT NOT NULL,
            max_age INTEGER NOT NULL,
            fetched_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS mm_tls_report (
            day TEXT NOT NULL,
            policy_domain TEXT NOT NULL,
            policy_type TEXT NOT NULL,
            policy_strings TEXT NOT NULL,
            mx_patterns TEXT NOT NULL,
            result_type TEXT NOT NULL,
            receiving_mx TEXT NOT NULL,
            receiving_ip TEXT NOT NULL,
            sending_ip TEXT NOT NULL,
            reason TEXT NOT NULL,
            sessions INTEGER NOT NULL,
            PRIMARY KEY (day, policy_domain, policy_type, policy_strings, result_type, receiving_mx, receiving_ip, sending_ip, reason));
        """;

    private readonly string _connectionString;
    private int _created;

    public SqliteTlsStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
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

    public async Task AddAsync(IReadOnlyCollection<KeyValuePair<(DateOnly Day, TlsSessionOutcome Outcome), int>> counts, CancellationToken cancellationToken)
    {
        if (counts.Count == 0)
        {
            return;
        }
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var _ = connection.ConfigureAwait(false);
        var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var __ = transaction.ConfigureAwait(false);
        await TlsStateSql.AddReportsAsync(connection, transaction, counts, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<(TlsSessionOutcome Outcome, long Sessions)>> ReadAsync(DateOnly day, string? domain, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var _ = connection.ConfigureAwait(false);
        return await TlsStateSql.ReadReportsAsync(connection, day, domain, cancellationToken).ConfigureAwait(false);
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
