using System;
using System.Globalization;
using System.Net;
using ModernMail.Tls;
using ModernMail.Tls.Internal;
using Npgsql;

namespace ModernMail.PostgreSql.Internal;

/// <summary>MTA-STS policies and TLS-RPT counts in the PostgreSQL database the queue uses, so every node of a cluster
/// shares the policies one fetched (an attacker blocking one node's fetch gains nothing) and the counts add up to one report.</summary>
internal sealed class PostgreSqlTlsStore : IMtaStsPolicyStore, ITlsReportStore, IAsyncDisposable
{
    // An arbitrary constant naming the "create the TLS tables" advisory lock, so concurrent first starts do not race.
    private const long SchemaLockKey = 0x4D4D_544C_5321;

    private const string Schema = """
        SELECT pg_advisory_xact_lock(@key);
        CREATE TABLE IF NOT EXISTS mm_mta_sts (
            domain text PRIMARY KEY,
            id text NOT NULL,
            mode integer NOT NULL,
            mx text NOT NULL,
            max_age bigint NOT NULL,
            fetched_at bigint NOT NULL);
        CREATE TABLE IF NOT EXISTS mm_tls_report (
            day text NOT NULL,
            policy_domain text NOT NULL,
            policy_type text NOT NULL,
            policy_strings text NOT NULL,
            mx_patterns text NOT NULL,
            result_type text NOT NULL,
            receiving_mx text NOT NULL,
            receiving_ip text NOT NULL,
            sending_ip text NOT NULL,
            reason text NOT NULL,
            sessions bigint NOT NULL,
            PRIMARY KEY (day, policy_domain, policy_type, policy_strings, result_type, receiving_mx, receiving_ip, sending_ip, reason));
        """;

    private readonly NpgsqlDataSource _dataSource;
    private int _created;

    public PostgreSqlTlsStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
    }

    public async Task<MtaStsPolicy?> LoadAsync(string domain, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var _ = connection.ConfigureAwait(false);
        using var command = new NpgsqlCommand("SELECT id, mode, mx, max_age, fetched_at FROM mm_mta_sts WHERE domain = @domain", connection);
        command.Parameters.AddWithValue("domain", domain);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var __ = reader.ConfigureAwait(false);
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
        using var command = new NpgsqlCommand("""
            INSERT INTO mm_mta_sts (domain, id, mode, mx, max_age, fetched_at) VALUES (@domain, @id, @mode, @mx, @maxAge, @fetched)
            ON CONFLICT (domain) DO UPDATE SET id = excluded.id, mode = excluded.mode, mx = excluded.mx, max_age = excluded.max_age, fetched_at = excluded.fetched_at
            """, connection);
        command.Parameters.AddWithValue("domain", policy.Domain);
        command.Parameters.AddWithValue("id", policy.Id);
        command.Parameters.AddWithValue("mode", (int)policy.Mode);
        command.Parameters.AddWithValue("mx", string.Join('\n', policy.MxPatterns));
        command.Parameters.AddWithValue("maxAge", (long)policy.MaxAge.TotalSeconds);
        command.Parameters.AddWithValue("fetched", policy.FetchedAt.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task AddAsync(IReadOnlyCollection<KeyValuePair<(DateOnly Day, TlsSessionOutcome Outcome), int>> counts, CancellationToken cancellationToken)
    {
        if (counts.Count == 0)
        {
            return;
        }
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var _ = connection.ConfigureAwait(false);
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var __ = transaction.ConfigureAwait(false);
        // Sorted, so two nodes flushing overlapping rows lock them in the same order and never deadlock.
        foreach (var ((day, o), n) in counts.OrderBy(c => Key(c.Key.Day, c.Key.Outcome), StringComparer.Ordinal))
        {
            using var command = new NpgsqlCommand("""
                INSERT INTO mm_tls_report VALUES (@day, @domain, @type, @strings, @mx, @result, @rmx, @rip, @sip, @reason, @n)
                ON CONFLICT (day, policy_domain, policy_type, policy_strings, result_type, receiving_mx, receiving_ip, sending_ip, reason)
                DO UPDATE SET sessions = mm_tls_report.sessions + excluded.sessions
                """, connection, transaction);
            command.Parameters.AddWithValue("day", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            command.Parameters.AddWithValue("domain", o.PolicyDomain);
            command.Parameters.AddWithValue("type", o.PolicyType);
            command.Parameters.AddWithValue("strings", string.Join('\n', o.PolicyStrings));
            command.Parameters.AddWithValue("mx", string.Join('\n', o.MxPatterns));
            command.Parameters.AddWithValue("result", o.ResultType ?? "");
            command.Parameters.AddWithValue("rmx", o.ReceivingMx ?? "");
            command.Parameters.AddWithValue("rip", o.ReceivingIp?.ToString() ?? "");
            command.Parameters.AddWithValue("sip", o.SendingIp?.ToString() ?? "");
            string reason = o.FailureReason ?? "";
            command.Parameters.AddWithValue("reason", reason.Length > SqliteTlsReportStore.MaxReasonLength ? reason[..SqliteTlsReportStore.MaxReasonLength] : reason);
            command.Parameters.AddWithValue("n", (long)n);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<IReadOnlyList<(TlsSessionOutcome Outcome, long Sessions)>> ReadAsync(DateOnly day, string? domain, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var _ = connection.ConfigureAwait(false);
        using var command = new NpgsqlCommand(
            "SELECT policy_domain, policy_type, policy_strings, mx_patterns, result_type, receiving_mx, receiving_ip, sending_ip, reason, sessions "
            + "FROM mm_tls_report WHERE day = @day AND (@domain::text IS NULL OR policy_domain = @domain::text) "
            + "ORDER BY policy_domain, policy_type, result_type, receiving_mx", connection);
        command.Parameters.AddWithValue("day", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        command.Parameters.AddWithValue("domain", (object?)domain?.TrimEnd('.').ToLowerInvariant() ?? DBNull.Value);
        var rows = new List<(TlsSessionOutcome, long)>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using var __ = reader.ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            static string? Text(string value) => value.Length == 0 ? null : value;
            static string[] Lines(string text) => text.Length == 0 ? [] : text.Split('\n');
            rows.Add((new TlsSessionOutcome(reader.GetString(0), reader.GetString(1), Lines(reader.GetString(2)), Lines(reader.GetString(3)), Text(reader.GetString(4)),
                Text(reader.GetString(5)), Text(reader.GetString(6)) is { } rip ? IPAddress.Parse(rip) : null,
                Text(reader.GetString(7)) is { } sip ? IPAddress.Parse(sip) : null, Text(reader.GetString(8))), reader.GetInt64(9)));
        }
        return rows;
    }

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private static string Key(DateOnly day, TlsSessionOutcome o) =>
        string.Join('\u001f', day.DayNumber, o.PolicyDomain, o.PolicyType, string.Join('\n', o.PolicyStrings), o.ResultType, o.ReceivingMx, o.ReceivingIp, o.SendingIp, o.FailureReason);

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _created) == 0)
        {
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using (transaction.ConfigureAwait(false))
            {
                using var create = new NpgsqlCommand(Schema, connection, transaction);
                create.Parameters.AddWithValue("key", SchemaLockKey);
                await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            Volatile.Write(ref _created, 1);
        }
        return connection;
    }
}
