using System.Net.Mail;
using System.Text;
using System.Text.Json;
using ModernMail.Delivery;
using ModernMail.IntegrationTests.Server;
using ModernMail.PostgreSql;
using ModernMail.Queue;
using ModernMail.Tests.Delivery.Shaping;
using Xunit;

namespace ModernMail.IntegrationTests.Queue;

/// <summary>"2 connections at once" for a destination holds for three real <c>mailbroker serve</c> processes on one PostgreSQL
/// database together, not per process: each would open up to its own limit (and its four deliveries at once want more).</summary>
public sealed class PostgreSqlShapingTests : IAsyncDisposable
{
    private const int Count = 40;
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-pgshape-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task ThreeServeProcesses_NeverHoldMoreThanTheRulesConnectionsToADestinationTogether()
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        await using var mx = new CountingMx { Delay = TimeSpan.FromMilliseconds(40) };
        Directory.CreateDirectory(_directory);
        string config = Path.Combine(_directory, "mailbroker.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Delivery = new { Shaping = new { Rules = new[] { new { Name = "x", Domains = new[] { "x.test" }, MaxConnections = 2, MaxMessagesPerConnection = 3 } } } },
        }), Ct);
        var environment = new Dictionary<string, string> { ["MAILBROKER__STORE"] = "postgres:" + database.ConnectionString };
        var servers = new List<ServeProcess>();
        try
        {
            for (int i = 0; i < 3; i++)
            {
                string data = Path.Combine(_directory, "node" + i);
                Directory.CreateDirectory(data);
                servers.Add(await ServeProcess.StartAsync(data, ["--config", config, "--concurrency", "4"], environment,
                    port: ServeProcess.FreePort(28800 + (i * 30), 30), route: "*=127.0.0.1:" + mx.Port, hostName: $"node{i}.sender.test"));
            }
            await using (var queue = new MailQueue(new PostgreSqlQueueStore(database.ConnectionString)))
            {
                for (int i = 0; i < Count; i++)
                {
                    byte[] raw = Encoding.ASCII.GetBytes($"From: sender@sender.test\r\nTo: u{i}@x.test\r\nSubject: shaped {i}\r\n\r\nmessage {i}\r\n");
                    await queue.EnqueueAsync(new Envelope(new MailAddress("sender@sender.test"), [new MailAddress($"u{i}@x.test")]), new MemoryStream(raw), Ct);
                }
            }

            using var bound = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            bound.CancelAfter(TimeSpan.FromSeconds(180)); // turns a hang into a failure; not a timing assertion
            while (mx.Accepted < Count)
            {
                Assert.All(servers, s => Assert.False(s.HasExited, s.Stderr));
                await Task.Delay(50, bound.Token);
            }
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
        Assert.Equal(Count, mx.Accepted);
        Assert.InRange(mx.MaxOpen, 1, 2);
        Assert.InRange(mx.MaxMessagesOnOneConnection, 1, 3);
        Assert.True(mx.Connections >= Count / 3, $"{mx.Connections} connections");
    }
}
