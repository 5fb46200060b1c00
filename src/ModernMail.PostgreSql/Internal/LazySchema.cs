using Npgsql;

namespace ModernMail.PostgreSql.Internal;

/// <summary>Tables created on first use: the first connection opened runs the schema script (which takes an advisory lock,
/// so nodes starting together do not race), later ones do not.</summary>
internal sealed class LazySchema(NpgsqlDataSource dataSource, string script, long lockKey)
{
    private int _created;

    /// <summary>An open connection, the schema created first if this is the first one.</summary>
    public async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _created) == 0)
        {
            try
            {
                var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
                await using (transaction.ConfigureAwait(false))
                {
                    using var create = new NpgsqlCommand(script, connection, transaction);
                    create.Parameters.AddWithValue("key", lockKey);
                    await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
                    await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
                }
            }
            catch
            {
                await connection.DisposeAsync().ConfigureAwait(false);
                throw;
            }
            Volatile.Write(ref _created, 1);
        }
        return connection;
    }
}
