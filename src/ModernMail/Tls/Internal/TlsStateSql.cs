using System.Data.Common;
using System.Globalization;
using System.Net;

namespace ModernMail.Tls.Internal;

/// <summary>The statements over mm_mta_sts and mm_tls_report, shared by the SQLite and PostgreSQL stores (both take
/// <c>@name</c> parameters and <c>ON CONFLICT ... DO UPDATE</c>); each store brings its connection and its schema.</summary>
internal static class TlsStateSql
{
    /// <summary>Reason texts are cut here so that one chatty server cannot grow the table without bound.</summary>
    public const int MaxReasonLength = 200;

    private const string ReportKey = "day, policy_domain, policy_type, policy_strings, result_type, receiving_mx, receiving_ip, sending_ip, reason";

    public static async Task<MtaStsPolicy?> LoadPolicyAsync(DbConnection connection, string domain, CancellationToken cancellationToken)
    {
        using var command = Command(connection, null, "SELECT id, mode, mx, max_age, fetched_at FROM mm_mta_sts WHERE domain = @domain");
        Add(command, "domain", domain);
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            if (!await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                return null;
            }
            return new MtaStsPolicy(domain, reader.GetString(0), (MtaStsMode)Convert.ToInt32(reader.GetValue(1), CultureInfo.InvariantCulture),
                reader.GetString(2).Split('\n', StringSplitOptions.RemoveEmptyEntries), TimeSpan.FromSeconds(reader.GetInt64(3)),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(4)));
        }
    }

    public static async Task SavePolicyAsync(DbConnection connection, MtaStsPolicy policy, CancellationToken cancellationToken)
    {
        using var command = Command(connection, null, """
            INSERT INTO mm_mta_sts (domain, id, mode, mx, max_age, fetched_at) VALUES (@domain, @id, @mode, @mx, @maxAge, @fetched)
            ON CONFLICT (domain) DO UPDATE SET id = excluded.id, mode = excluded.mode, mx = excluded.mx, max_age = excluded.max_age, fetched_at = excluded.fetched_at
            """);
        Add(command, "domain", policy.Domain);
        Add(command, "id", policy.Id);
        Add(command, "mode", (int)policy.Mode);
        Add(command, "mx", string.Join('\n', policy.MxPatterns));
        Add(command, "maxAge", (long)policy.MaxAge.TotalSeconds);
        Add(command, "fetched", policy.FetchedAt.ToUnixTimeMilliseconds());
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Adds session counts to their rows within <paramref name="transaction"/>, in a fixed order so that two nodes
    /// flushing overlapping rows lock them in the same order and cannot deadlock.</summary>
    public static async Task AddReportsAsync(DbConnection connection, DbTransaction transaction,
        IReadOnlyCollection<KeyValuePair<(DateOnly Day, TlsSessionOutcome Outcome), int>> counts, CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction,
            $"INSERT INTO mm_tls_report ({ReportKey}, mx_patterns, sessions) VALUES (@day, @domain, @type, @strings, @result, @rmx, @rip, @sip, @reason, @mx, @n) "
            + $"ON CONFLICT ({ReportKey}) DO UPDATE SET sessions = mm_tls_report.sessions + excluded.sessions");
        foreach (var ((day, o), n) in counts.OrderBy(c => Key(c.Key.Day, c.Key.Outcome), StringComparer.Ordinal))
        {
            command.Parameters.Clear();
            Add(command, "day", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
            Add(command, "domain", o.PolicyDomain);
            Add(command, "type", o.PolicyType);
            Add(command, "strings", string.Join('\n', o.PolicyStrings));
            Add(command, "mx", string.Join('\n', o.MxPatterns));
            Add(command, "result", o.ResultType ?? "");
            Add(command, "rmx", o.ReceivingMx ?? "");
            Add(command, "rip", o.ReceivingIp?.ToString() ?? "");
            Add(command, "sip", o.SendingIp?.ToString() ?? "");
            string reason = o.FailureReason ?? "";
            Add(command, "reason", reason.Length > MaxReasonLength ? reason[..MaxReasonLength] : reason);
            Add(command, "n", (long)n);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>The rows of <paramref name="day"/>, for one policy domain or all.</summary>
    public static async Task<IReadOnlyList<(TlsSessionOutcome Outcome, long Sessions)>> ReadReportsAsync(DbConnection connection, DateOnly day, string? domain,
        CancellationToken cancellationToken)
    {
        using var command = Command(connection, null,
            "SELECT policy_domain, policy_type, policy_strings, mx_patterns, result_type, receiving_mx, receiving_ip, sending_ip, reason, sessions "
            + "FROM mm_tls_report WHERE day = @day" + (domain is null ? "" : " AND policy_domain = @domain")
            + " ORDER BY policy_domain, policy_type, result_type, receiving_mx");
        Add(command, "day", day.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture));
        if (domain is not null)
        {
            Add(command, "domain", domain.TrimEnd('.').ToLowerInvariant());
        }
        var rows = new List<(TlsSessionOutcome, long)>();
        var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        await using (reader.ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                rows.Add((new TlsSessionOutcome(reader.GetString(0), reader.GetString(1), Lines(reader.GetString(2)), Lines(reader.GetString(3)), Text(reader.GetString(4)),
                    Text(reader.GetString(5)), Text(reader.GetString(6)) is { } rip ? IPAddress.Parse(rip) : null,
                    Text(reader.GetString(7)) is { } sip ? IPAddress.Parse(sip) : null, Text(reader.GetString(8))), reader.GetInt64(9)));
            }
        }
        return rows;
    }

    /// <summary>One string per outcome identity, the same one the recorder aggregates by.</summary>
    public static string Key(DateOnly day, TlsSessionOutcome o) =>
        string.Join('\u001f', day.DayNumber, o.PolicyDomain, o.PolicyType, string.Join('\n', o.PolicyStrings), o.ResultType, o.ReceivingMx, o.ReceivingIp, o.SendingIp, o.FailureReason);

    private static string? Text(string value) => value.Length == 0 ? null : value;

    private static string[] Lines(string text) => text.Length == 0 ? [] : text.Split('\n');

    private static DbCommand Command(DbConnection connection, DbTransaction? transaction, string sql)
    {
        var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    private static void Add(DbCommand command, string name, object value)
    {
        var parameter = command.CreateParameter();
        parameter.ParameterName = name;
        parameter.Value = value;
        command.Parameters.Add(parameter);
    }
}
