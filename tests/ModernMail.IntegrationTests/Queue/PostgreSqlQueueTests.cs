using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Mail;
using System.Text;
using ModernMail.Delivery;
using ModernMail.PostgreSql;
using ModernMail.Queue;
using Xunit;

namespace ModernMail.IntegrationTests.Queue;

public sealed class PostgreSqlQueueTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static QueueEntry Entry(string id, params string[] recipients)
        => new(id, new Envelope(new MailAddress("sender@sender.test"), recipients.Select(r => new MailAddress(r)).ToList()), s_t0, s_t0.AddDays(5));

    [Fact]
    public async Task Store_RoundTripsAndLeasesWithSkipLocked_CrashedLeaseExpires()
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        await using var store = new PostgreSqlQueueStore(database.ConnectionString);
        await store.InitializeAsync(Ct);
        await store.InitializeAsync(Ct); // idempotent
        byte[] body = new byte[200_000];
        new Random(5).NextBytes(body);
        for (int i = 0; i < 40; i++)
        {
            await store.EnqueueAsync(Entry("m" + i.ToString("D2"), $"r{i}@a.test"), new MemoryStream(i == 0 ? body : "x"u8.ToArray()), Ct);
        }

        // Two workers lease at the same moment: SKIP LOCKED hands them disjoint messages.
        var leases = await Task.WhenAll(
            Enumerable.Range(0, 4).Select(w => store.LeaseAsync("w" + w, s_t0, TimeSpan.FromSeconds(30), 15, Ct)));
        var ids = leases.SelectMany(l => l).Select(l => l.Id).ToList();
        Assert.Equal(40, ids.Count);
        Assert.Equal(40, ids.Distinct().Count());

        await using (var stream = await store.OpenMessageAsync("m00", Ct))
        {
            var copy = new MemoryStream();
            await stream.CopyToAsync(copy, Ct);
            Assert.Equal(body, copy.ToArray());
        }
        Assert.Empty(await store.LeaseAsync("w9", s_t0.AddSeconds(29), TimeSpan.FromSeconds(30), 100, Ct));
        // Every worker "crashed": after 30 s all 40 messages are due again.
        Assert.Equal(40, (await store.LeaseAsync("w9", s_t0.AddSeconds(31), TimeSpan.FromSeconds(30), 100, Ct)).Count);
        var status = (await store.GetAsync("m00", Ct))!;
        Assert.Equal("w9", status.LeaseOwner);
        Assert.Equal(RecipientState.Delivering, status.Recipients[0].State);
    }

    [Fact]
    public async Task Store_ServerUnreachable_EnqueueThrowsClearTransientError()
    {
        var connectionString = new Npgsql.NpgsqlConnectionStringBuilder(PostgreSqlTestDatabase.BaseConnectionString) { Port = 9, Timeout = 2 }.ToString();
        await using var store = new PostgreSqlQueueStore(connectionString);

        var ex = await Assert.ThrowsAsync<QueueStoreException>(() => store.EnqueueAsync(Entry("m1", "a@a.test"), new MemoryStream("x"u8.ToArray()), Ct));

        Assert.Contains("127.0.0.1:9", ex.Message);
        Assert.True(ex.IsTransient, ex.ToString());
    }

    [Fact]
    public async Task StoreFactory_MakesTheQueueOwnAPostgreSqlStore_AndTheStringFactoryPointsThere()
    {
        await using (var queue = new MailQueue(new QueueOptions { StoreFactory = () => new PostgreSqlQueueStore(PostgreSqlTestDatabase.BaseConnectionString) }))
        {
            Assert.IsType<PostgreSqlQueueStore>(queue.Store);
        }

        // No registry, no reflection: the core library names the package instead of finding it.
        var ex = Assert.Throws<ArgumentException>(() => QueueStoreFactory.Create("postgres:" + PostgreSqlTestDatabase.BaseConnectionString));
        Assert.Contains("ModernMail.PostgreSql", ex.Message);
    }

    [Fact]
    public async Task ThreeWorkers_OneDatabase_2000Messages_NoneLostNoneDuplicated()
    {
        const int Count = 2000;
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        await using var sink = new SmtpSink();
        var stores = new List<PostgreSqlQueueStore>();
        var queues = new List<MailQueue>();
        var workers = new List<QueueWorker>();
        var transports = new List<SmtpTransport>();
        var deliveredBy = new ConcurrentDictionary<string, string>();
        var options = new QueueOptions { Store = "postgres:(explicit)", MaxConcurrentDeliveries = 8, MaxConcurrentPerDomain = 8, PollInterval = TimeSpan.FromMilliseconds(200), HostName = "queue.test" };
        try
        {
            for (int w = 0; w < 3; w++)
            {
                var store = new PostgreSqlQueueStore(database.ConnectionString);
                stores.Add(store);
                var queue = new MailQueue(store, options);
                queues.Add(queue);
                var config = new BrokerConfig { HostName = "queue.test", Tls = TlsPolicy.Disabled };
                config.Routes["*"] = "127.0.0.1:" + sink.Port;
                var transport = new SmtpTransport(config);
                transports.Add(transport);
                var worker = new QueueWorker(queue, transport);
                worker.RecipientUpdated += (_, e) =>
                {
                    if (e.State == RecipientState.Delivered)
                    {
                        deliveredBy[e.Recipient] = worker.Owner;
                    }
                };
                workers.Add(worker);
            }

            var enqueue = Stopwatch.StartNew();
            await Parallel.ForEachAsync(Enumerable.Range(0, Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = Ct }, async (i, ct) =>
            {
                string rcpt = $"u{i}@d{i % 7}.test";
                byte[] raw = Encoding.ASCII.GetBytes($"From: sender@sender.test\r\nTo: {rcpt}\r\nSubject: pg {i}\r\nMessage-ID: <pg-{i}@sender.test>\r\n\r\nmessage {i}\r\n");
                await queues[i % 3].EnqueueAsync(new Envelope(new MailAddress("sender@sender.test"), [new MailAddress(rcpt)]), new MemoryStream(raw), ct);
            });
            enqueue.Stop();

            var deliver = Stopwatch.StartNew();
            foreach (var worker in workers)
            {
                await worker.StartAsync(Ct);
            }
            while (sink.Messages.Count < Count && deliver.Elapsed < TimeSpan.FromSeconds(120))
            {
                await Task.Delay(100, Ct);
            }
            foreach (var worker in workers)
            {
                await worker.StopAsync(Ct);
            }
            deliver.Stop();

            var received = sink.Messages.SelectMany(m => m.Recipients).ToList();
            var lost = Enumerable.Range(0, Count).Select(i => $"u{i}@d{i % 7}.test").Except(received, StringComparer.OrdinalIgnoreCase).ToList();
            int duplicates = received.Count - received.Distinct(StringComparer.OrdinalIgnoreCase).Count();
            TestContext.Current.TestOutputHelper?.WriteLine(
                $"PostgreSQL 3 workers: enqueued {Count} in {enqueue.Elapsed.TotalSeconds:F1}s, delivered in {deliver.Elapsed.TotalSeconds:F1}s; " +
                $"per worker {string.Join(", ", deliveredBy.Values.GroupBy(v => v).Select(g => g.Count()))}");
            Assert.Empty(lost);
            Assert.Equal(0, duplicates);
            Assert.Equal(3, deliveredBy.Values.Distinct().Count()); // the work really was shared
            Assert.Empty(await queues[0].ListAsync(pendingOnly: true, cancellationToken: Ct));
        }
        finally
        {
            foreach (var worker in workers)
            {
                await worker.DisposeAsync();
            }
            foreach (var transport in transports)
            {
                await transport.DisposeAsync();
            }
            foreach (var store in stores)
            {
                await store.DisposeAsync();
            }
        }
    }
}
