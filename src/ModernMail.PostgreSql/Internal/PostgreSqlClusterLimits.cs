using Microsoft.Extensions.Logging;
using ModernMail.Delivery.Internal.Shaping;
using Npgsql;

namespace ModernMail.PostgreSql.Internal;

/// <summary>Cluster-wide limits in the queue's PostgreSQL database. Connections: a row per open connection (destination, slot
/// number below the limit, owner node), leased for a minute and renewed while the node lives, so a killed node's slots free
/// themselves; taking a slot is one INSERT that only succeeds for a free slot number while fewer than the limit are held.
/// Message rates: a row per message sent in the last hour, counted under a per-destination advisory lock.</summary>
internal sealed class PostgreSqlClusterLimits : IClusterLimits, IAsyncDisposable
{
    private const long SchemaLockKey = 0x4D4D_534C_4F54;
    private static readonly TimeSpan s_lease = TimeSpan.FromSeconds(60);

    private const string Schema = """
        SELECT pg_advisory_xact_lock(@key);
        CREATE TABLE IF NOT EXISTS mm_connection_slots (
            destination text NOT NULL,
            slot integer NOT NULL,
            owner text NOT NULL,
            until timestamptz NOT NULL,
            PRIMARY KEY (destination, slot));
        CREATE TABLE IF NOT EXISTS mm_message_log (
            destination text NOT NULL,
            at timestamptz NOT NULL);
        CREATE INDEX IF NOT EXISTS mm_message_log_destination_at ON mm_message_log (destination, at);
        """;

    // How long until the limit-th most recent message of the window leaves it; no row when fewer than limit were sent.
    private const string WaitFor = """
        SELECT extract(epoch FROM (at + make_interval(secs => @period) - now()))
        FROM mm_message_log WHERE destination = @d AND at > now() - make_interval(secs => @period)
        ORDER BY at DESC OFFSET @limit - 1 LIMIT 1
        """;

    // The lowest free slot number, only while fewer than @limit live rows exist; a conflict with a live row changes nothing.
    private const string Acquire = """
        INSERT INTO mm_connection_slots (destination, slot, owner, until)
        SELECT @d, s, @o, now() + make_interval(secs => @lease)
        FROM generate_series(0, @limit - 1) AS s
        WHERE (SELECT count(*) FROM mm_connection_slots c WHERE c.destination = @d AND c.until > now()) < @limit
          AND NOT EXISTS (SELECT 1 FROM mm_connection_slots c WHERE c.destination = @d AND c.slot = s AND c.until > now())
        ORDER BY s
        LIMIT 1
        ON CONFLICT (destination, slot) DO UPDATE SET owner = excluded.owner, until = excluded.until
            WHERE mm_connection_slots.until <= now()
        RETURNING slot
        """;

    private readonly NpgsqlDataSource _dataSource;
    private readonly LazySchema _schema;
    private readonly string _owner;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Stack<int>> _held = new(StringComparer.Ordinal);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _renewal;

    public PostgreSqlClusterLimits(string connectionString, string owner, ILogger logger)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _schema = new LazySchema(_dataSource, Schema, SchemaLockKey);
        _owner = owner;
        _logger = logger;
        _renewal = Task.Run(RenewAsync);
    }

    public async Task<bool> TryAcquireAsync(string destination, int limit, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var _ = connection.ConfigureAwait(false);
            // A lost race for the same free slot (another node took it first) is worth one more look.
            for (int attempt = 0; attempt < 3; attempt++)
            {
                using var command = new NpgsqlCommand(Acquire, connection);
                command.Parameters.AddWithValue("d", destination);
                command.Parameters.AddWithValue("o", _owner);
                command.Parameters.AddWithValue("lease", s_lease.TotalSeconds);
                command.Parameters.AddWithValue("limit", limit);
                if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is int slot)
                {
                    lock (_held)
                    {
                        if (!_held.TryGetValue(destination, out var slots))
                        {
                            _held[destination] = slots = new Stack<int>();
                        }
                        slots.Push(slot);
                    }
                    return true;
                }
                using var count = new NpgsqlCommand("SELECT count(*) FROM mm_connection_slots WHERE destination = @d AND until > now()", connection);
                count.Parameters.AddWithValue("d", destination);
                if ((long)(await count.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) ?? 0L) >= limit)
                {
                    return false;
                }
            }
            return false;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            ClusterLimitsLog.Unavailable(_logger, destination, ex.Message);
            return true;
        }
    }

    public async Task<TimeSpan> TryTakeMessageAsync(string destination, int? perMinute, int? perHour, CancellationToken cancellationToken)
    {
        try
        {
            var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
            await using var _ = connection.ConfigureAwait(false);
            var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
            await using var __ = transaction.ConfigureAwait(false);
            // One node at a time per destination counts and adds, so two cannot both take the last place.
            using (var lockCommand = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('mm_message_log:' || @d)); " +
                "DELETE FROM mm_message_log WHERE destination = @d AND at < now() - interval '1 hour'", connection, transaction))
            {
                lockCommand.Parameters.AddWithValue("d", destination);
                await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            var wait = TimeSpan.Zero;
            foreach (var (limit, period) in new (int?, TimeSpan)[] { (perMinute, TimeSpan.FromMinutes(1)), (perHour, TimeSpan.FromHours(1)) })
            {
                if (limit is not int n)
                {
                    continue;
                }
                using var check = new NpgsqlCommand(WaitFor, connection, transaction);
                check.Parameters.AddWithValue("d", destination);
                check.Parameters.AddWithValue("period", period.TotalSeconds);
                check.Parameters.AddWithValue("limit", n);
                if (await check.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is decimal seconds && seconds > 0)
                {
                    var until = TimeSpan.FromSeconds((double)seconds);
                    wait = until > wait ? until : wait;
                }
            }
            if (wait == TimeSpan.Zero)
            {
                using var insert = new NpgsqlCommand("INSERT INTO mm_message_log (destination, at) VALUES (@d, now())", connection, transaction);
                insert.Parameters.AddWithValue("d", destination);
                await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            return wait;
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            ClusterLimitsLog.Unavailable(_logger, destination, ex.Message);
            return TimeSpan.Zero;
        }
    }

    public void Release(string destination)
    {
        int slot;
        lock (_held)
        {
            if (!_held.TryGetValue(destination, out var slots) || !slots.TryPop(out slot))
            {
                return;
            }
        }
        _ = DeleteAsync(destination, slot);
    }

    private async Task DeleteAsync(string destination, int slot)
    {
        try
        {
            var connection = await OpenAsync(_stop.Token).ConfigureAwait(false);
            await using var _ = connection.ConfigureAwait(false);
            using var command = new NpgsqlCommand("DELETE FROM mm_connection_slots WHERE destination = @d AND slot = @s AND owner = @o", connection);
            command.Parameters.AddWithValue("d", destination);
            command.Parameters.AddWithValue("s", slot);
            command.Parameters.AddWithValue("o", _owner);
            await command.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException or OperationCanceledException)
        {
            // The lease runs out within a minute anyway.
            ClusterLimitsLog.Unavailable(_logger, destination, ex.Message);
        }
    }

    private async Task RenewAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(s_lease / 3, _stop.Token).ConfigureAwait(false);
                var connection = await OpenAsync(_stop.Token).ConfigureAwait(false);
                await using var _ = connection.ConfigureAwait(false);
                using var command = new NpgsqlCommand("UPDATE mm_connection_slots SET until = now() + make_interval(secs => @lease) WHERE owner = @o", connection);
                command.Parameters.AddWithValue("lease", s_lease.TotalSeconds);
                command.Parameters.AddWithValue("o", _owner);
                await command.ExecuteNonQueryAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (_stop.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
            {
                ClusterLimitsLog.Unavailable(_logger, "*", ex.Message);
            }
        }
    }

    private Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken) => _schema.OpenAsync(cancellationToken);

    /// <summary>Stops renewing and gives back every slot this node holds.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _renewal.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        try
        {
            var connection = await OpenAsync(CancellationToken.None).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                using var command = new NpgsqlCommand("DELETE FROM mm_connection_slots WHERE owner = @o", connection);
                command.Parameters.AddWithValue("o", _owner);
                await command.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or TimeoutException)
        {
            ClusterLimitsLog.Unavailable(_logger, "*", ex.Message);
        }
        await _dataSource.DisposeAsync().ConfigureAwait(false);
        _stop.Dispose();
    }
}
