using System.Text.Json;
using ModernMail.IntegrationTests.Cli;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>One server for the SMTP submission tests: DKIM for sender.test and an Smtp section (small limits so tests can reach
/// them) in a JSON file, SMTP on a port in 28100-28149, HTTP in 28150-28199; a key for sender.test and a revoked one.</summary>
public sealed class SmtpFixture : IAsyncLifetime
{
    public const int MaxMessageSize = 64 * 1024;

    public const int MaxRecipients = 5;

    /// <summary>How long the server lets a message's DATA take before it cuts the client off.</summary>
    public static readonly TimeSpan DataTimeout = TimeSpan.FromSeconds(3);

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), "mm-smtp-" + Guid.NewGuid().ToString("N"));

    public ServeProcess Server { get; private set; } = null!; // Set in InitializeAsync, before any test runs.

    /// <summary>The key's name: the SMTP user.</summary>
    public string User => "smtp-tests";

    /// <summary>The secret of <see cref="User"/>, limited to sender.test.</summary>
    public string Secret { get; private set; } = "";

    /// <summary>A key that was revoked with the CLI after it was created: (name, secret).</summary>
    public (string User, string Secret) Revoked { get; private set; }

    public int Port => Server.SmtpPort;

    public async ValueTask InitializeAsync()
    {
        System.IO.Directory.CreateDirectory(Directory);
        string config = Path.Combine(Directory, "mailbroker.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Dkim = new[] { new { Domain = TestWorld.SenderDomain, Selector = TestWorld.RsaSelector, KeyFile = TestWorld.RsaKeyPath } },
            Smtp = new
            {
                MaxMessageSize,
                MaxRecipients,
                DataTimeout = DataTimeout.ToString(),
                CommandTimeout = "00:00:20",
                MaxAuthFailures = 10,
                AuthFailureWindow = "00:01:00",
                AuthBlockDuration = "00:10:00",
            },
        }));
        Server = await StartAsync(Directory, ["--config", config]);
        Secret = await Server.CreateKeyAsync(User, TestWorld.SenderDomain);
        string revokedSecret = await Server.CreateKeyAsync("smtp-revoked", TestWorld.SenderDomain);
        CliResult revoke = await CliProcess.RunAsync("keys", "revoke", "smtp-revoked", "--data", Directory);
        Assert.True(revoke.ExitCode == 0, revoke.ToString());
        Revoked = ("smtp-revoked", revokedSecret);
    }

    /// <summary>Starts a server with SMTP on a free port in 28100-28149 (or <paramref name="smtpPort"/>) and HTTP in 28150-28199.</summary>
    public static Task<ServeProcess> StartAsync(string directory, IEnumerable<string>? extraArgs = null, string route = "*=127.0.0.1:2525", int smtpPort = 0) =>
        ServeProcess.StartAsync(directory, extraArgs, port: ServeProcess.FreePort(28150, 50), route: route,
            smtpPort: smtpPort == 0 ? ServeProcess.FreePort(28100, 50) : smtpPort);

    public async ValueTask DisposeAsync()
    {
        await Server.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
    }
}
