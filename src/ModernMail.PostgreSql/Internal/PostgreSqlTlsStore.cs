using System;
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
    private readonly LazySchema _schema;

    public PostgreSqlTlsStore(string connectionString)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _schema = new LazySchema(_dataSource, Schema, SchemaLockKey);
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
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
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

    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => _schema.OpenAsync(cancellationToken);
}
