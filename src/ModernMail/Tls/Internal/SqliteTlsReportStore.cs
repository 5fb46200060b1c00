using Microsoft.Data.Sqlite;

namespace ModernMail.Tls.Internal;

/// <summary>Daily TLS session counts per policy and failure, in SQLite (<c>tls.db</c> in the data directory), the raw
/// material of RFC 8460 reports.</summary>
internal sealed class SqliteTlsReportStore : ITlsReportStore
{
    private const string Schema = """
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
            PRIMARY KEY (day, policy_domain, policy_type, policy_strings, result_type, receiving_mx, receiving_ip, sending_ip, reason))
        """;

    private readonly string _connectionString;
    private int _created;

    public SqliteTlsReportStore(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadWriteCreate, Pooling = true, DefaultTimeout = 30 }.ToString();
    }

    /// <summary>Adds session counts to their day's rows, in one transaction.</summary>
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

    /// <summary>The rows of <paramref name="day"/>, for one policy domain or all.</summary>
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
            create.CommandText = "PRAGMA journal_mode = WAL;" + Schema;
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _created, 1);
        }
        return connection;
    }
}
