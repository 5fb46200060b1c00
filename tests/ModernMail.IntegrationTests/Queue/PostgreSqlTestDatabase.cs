using Npgsql;

namespace ModernMail.IntegrationTests.Queue;

/// <summary>A throwaway schema in the test world's PostgreSQL, so each test starts from empty tables.</summary>
internal sealed class PostgreSqlTestDatabase : IAsyncDisposable
{
    /// <summary>The test world's database; MODERNMAIL_TEST_PG overrides it.</summary>
    public static string BaseConnectionString =>
        Environment.GetEnvironmentVariable("MODERNMAIL_TEST_PG") is { Length: > 0 } configured
            ? configured
            : ModernMail.IntegrationTests.World.TestWorld.PostgresConnectionString;

    private readonly string _schema = "mmq_" + Guid.NewGuid().ToString("N")[..12];

    private PostgreSqlTestDatabase()
    {
        ConnectionString = new NpgsqlConnectionStringBuilder(BaseConnectionString) { SearchPath = _schema, MaxPoolSize = 20 }.ToString();
    }

    public string ConnectionString { get; }

    public static async Task<PostgreSqlTestDatabase> CreateAsync()
    {
        var database = new PostgreSqlTestDatabase();
        try
        {
            await using var connection = new NpgsqlConnection(BaseConnectionString);
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE SCHEMA {database._schema}", connection);
            await command.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException ex)
        {
            throw new InvalidOperationException(
                $"PostgreSQL is not reachable at '{BaseConnectionString}' ({ex.Message}); run scripts/testworld/up.sh or set MODERNMAIL_TEST_PG.", ex);
        }
        return database;
    }

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(BaseConnectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {_schema} CASCADE", connection);
        await command.ExecuteNonQueryAsync();
    }
}
