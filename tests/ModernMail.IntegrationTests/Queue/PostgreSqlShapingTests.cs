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
        var servers = new List<ServeProcess>();
        try
        {
            await StartNodesAsync(servers, "node", config, database.ConnectionString, mx.Port, 28800);
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

    [Fact]
    public async Task ThreeServeProcesses_SendAtMostTheRulesMessagesPerMinuteTogether_AndHoldTheRestUntried()
    {
        const int limit = 10;
        const int count = 15;
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        await using var mx = new CountingMx();
        Directory.CreateDirectory(_directory);
        string config = Path.Combine(_directory, "rate.json");
        await File.WriteAllTextAsync(config, JsonSerializer.Serialize(new
        {
            Delivery = new { Shaping = new { MaxWait = "00:00:01", Rules = new[] { new { Name = "x", Domains = new[] { "x.test" }, MessagesPerMinute = limit } } } },
        }), Ct);
        var servers = new List<ServeProcess>();
        await using var queue = new MailQueue(new PostgreSqlQueueStore(database.ConnectionString));
        var ids = new List<string>();
        List<QueuedRecipient> held = [];
        try
        {
            await StartNodesAsync(servers, "rate", config, database.ConnectionString, mx.Port, 28900);
            for (int i = 0; i < count; i++)
            {
                byte[] raw = Encoding.ASCII.GetBytes($"From: sender@sender.test\r\nTo: u{i}@x.test\r\nSubject: rate {i}\r\n\r\nmessage {i}\r\n");
                ids.Add(await queue.EnqueueAsync(new Envelope(new MailAddress("sender@sender.test"), [new MailAddress($"u{i}@x.test")]), new MemoryStream(raw), Ct));
            }

            // Wait until every message was either sent or held back by the shared count.
            using var bound = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            bound.CancelAfter(TimeSpan.FromSeconds(50)); // well inside the minute; turns a hang into a failure
            while (true)
            {
                held = [];
                foreach (string id in ids)
                {
                    var recipient = (await queue.GetAsync(id, bound.Token))!.Recipients[0];
                    if (recipient.State == RecipientState.Deferred)
                    {
                        held.Add(recipient);
                    }
                }
                if (mx.Accepted + held.Count == count)
                {
                    break;
                }
                Assert.All(servers, s => Assert.False(s.HasExited, s.Stderr));
                await Task.Delay(100, bound.Token);
            }
        }
        finally
        {
            foreach (var server in servers)
            {
                await server.DisposeAsync();
            }
        }
        // Each process alone would have sent all 15 (10 a minute each); together they sent 10.
        Assert.Equal(limit, mx.Accepted);
        Assert.Equal(count - limit, held.Count);
        Assert.All(held, r =>
        {
            Assert.Equal(0, r.Attempts);
            Assert.Contains("message rate", r.LastReply, StringComparison.Ordinal);
        });
    }

    /// <summary>Three <c>mailbroker serve</c> processes on the database, each with its own data directory and HTTP port, all
    /// routing to the counting MX, four deliveries at once each.</summary>
    private async Task StartNodesAsync(List<ServeProcess> servers, string name, string config, string connectionString, int mxPort, int firstPort)
    {
        var environment = new Dictionary<string, string> { ["MAILBROKER__STORE"] = "postgres:" + connectionString };
        for (int i = 0; i < 3; i++)
        {
            string data = Path.Combine(_directory, name + i);
            Directory.CreateDirectory(data);
            servers.Add(await ServeProcess.StartAsync(data, ["--config", config, "--concurrency", "4"], environment,
                port: ServeProcess.FreePort(firstPort + (i * 30), 30), route: "*=127.0.0.1:" + mxPort, hostName: $"{name}{i}.sender.test"));
        }
    }
}
