using System.Text.Json;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>One server for the HTTP API tests: configured by a JSON file (DKIM for sender.test) and environment variables
/// (a 256 KiB body limit, a 2 s header timeout), as an operator would.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    public const long BodyLimit = 256 * 1024;

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "mm-server-" + Guid.NewGuid().ToString("N"));

    public ServeProcess Server { get; private set; } = null!; // Set in InitializeAsync, before any test runs.

    /// <summary>A key limited to sender.test.</summary>
    public string Secret { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        string config = Path.Combine(Directory, "mailbroker.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Dkim = new[] { new { Domain = TestWorld.SenderDomain, Selector = TestWorld.RsaSelector, KeyFile = TestWorld.RsaKeyPath } },
        }));
        Server = await ServeProcess.StartAsync(Directory, ["--config", config], new Dictionary<string, string>
        {
            ["MAILBROKER__HTTP__MAXREQUESTBODYSIZE"] = BodyLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MAILBROKER__HTTP__REQUESTHEADERSTIMEOUT"] = "00:00:02",
        });
        Secret = await Server.CreateKeyAsync("tests", TestWorld.SenderDomain);
    }

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
