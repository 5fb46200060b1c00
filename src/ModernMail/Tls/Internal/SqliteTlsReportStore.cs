using System.Globalization;
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

    /// <summary>Reason texts are cut here so that one chatty server cannot grow the table without bound.</summary>
    public const int MaxReasonLength = 200;

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
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = """
            INSERT INTO mm_tls_report VALUES ($day, $domain, $type, $strings, $mx, $result, $rmx, $rip, $sip, $reason, $n)
            ON CONFLICT DO UPDATE SET sessions = sessions + excluded.sessions
            """;
        foreach (var ((day, o), n) in counts)
        {
            command.Parameters.Clear();
            command.Parameters.AddWithValue("$day", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("$domain", o.PolicyDomain);
            command.Parameters.AddWithValue("$type", o.PolicyType);
            command.Parameters.AddWithValue("$strings", string.Join('\n', o.PolicyStrings));
            command.Parameters.AddWithValue("$mx", string.Join('\n', o.MxPatterns));
            command.Parameters.AddWithValue("$result", o.ResultType ?? "");
            command.Parameters.AddWithValue("$rmx", o.ReceivingMx ?? "");
            command.Parameters.AddWithValue("$rip", o.ReceivingIp?.ToString() ?? "");
            command.Parameters.AddWithValue("$sip", o.SendingIp?.ToString() ?? "");
            string reason = o.FailureReason ?? "";
            command.Parameters.AddWithValue("$reason", reason.Length > MaxReasonLength ? reason[..MaxReasonLength] : reason);
            command.Parameters.AddWithValue("$n", n);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The rows of <paramref name="day"/>, for one policy domain or all.</summary>
    public async Task<IReadOnlyList<(TlsSessionOutcome Outcome, long Sessions)>> ReadAsync(DateOnly day, string? domain, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var _ = connection.ConfigureAwait(false);
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT policy_domain, policy_type, policy_strings, mx_patterns, result_type, receiving_mx, receiving_ip, sending_ip, reason, sessions "
            + "FROM mm_tls_report WHERE day = $day AND ($domain IS NULL OR policy_domain = $domain) ORDER BY policy_domain, policy_type, result_type, receiving_mx";
        command.Parameters.AddWithValue("$day", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("$domain", (object?)domain?.TrimEnd('.').ToLowerInvariant() ?? DBNull.Value);
        var rows = new List<(TlsSessionOutcome, long)>();
        using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            static string? Text(string value) => value.Length == 0 ? null : value;
            rows.Add((new TlsSessionOutcome(reader.GetString(0), reader.GetString(1), Lines(reader.GetString(2)), Lines(reader.GetString(3)), Text(reader.GetString(4)),
                Text(reader.GetString(5)), Text(reader.GetString(6)) is { } rip ? System.Net.IPAddress.Parse(rip) : null,
                Text(reader.GetString(7)) is { } sip ? System.Net.IPAddress.Parse(sip) : null, Text(reader.GetString(8))), reader.GetInt64(9)));
        }
        return rows;
    }

    private static string[] Lines(string text) => text.Length == 0 ? [] : text.Split('\n');

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
