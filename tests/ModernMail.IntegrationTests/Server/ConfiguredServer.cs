using System.Text.Json;

namespace ModernMail.IntegrationTests.Server;

/// <summary>A real <c>mailbroker serve</c> in a temporary data directory of its own, configured the way an operator does it:
/// a mailbroker.json written from <c>configuration</c> and passed with --config.</summary>
internal sealed class ConfiguredServer : IAsyncDisposable
{
    private ConfiguredServer(string directory, ServeProcess server)
    {
        Directory = directory;
        Server = server;
    }

    /// <summary>The data directory (the configuration file is in it too).</summary>
    public string Directory { get; }

    public ServeProcess Server { get; }

    public static async Task<ConfiguredServer> StartAsync(string name, object configuration, IEnumerable<string>? args = null, int smtpPort = 0,
        CancellationToken cancellationToken = default)
    {
        string directory = Path.Combine(Path.GetTempPath(), $"mm-{name}-{Guid.NewGuid():N}");
        System.IO.Directory.CreateDirectory(directory);
        string config = Path.Combine(directory, "mailbroker.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(configuration), cancellationToken);
        var server = await ServeProcess.StartAsync(directory, ["--config", config, .. args ?? []], smtpPort: smtpPort);
        return new ConfiguredServer(directory, server);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
