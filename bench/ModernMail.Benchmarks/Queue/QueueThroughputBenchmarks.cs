using System.Diagnostics;
using System.Net;
using System.Net.Mail;
using System.Net.Sockets;
using System.Text;
using BenchmarkDotNet.Attributes;
using ModernMail.Delivery;
using ModernMail.PostgreSql;
using ModernMail.Queue;

namespace ModernMail.Benchmarks.Queue;

/// <summary>
/// Throughput of 500 messages into Postfix's smtp-sink: delivered directly with SmtpTransport, enqueued only, and
/// enqueued then delivered by a QueueWorker, for SQLite and PostgreSQL. One operation = one message.
/// Run: dotnet run -c Release --project bench/ModernMail.Benchmarks -- --filter '*QueueThroughput*' --job short --inProcess
/// (PostgreSQL cases need the test world's database: scripts/testworld/up.sh).
/// </summary>
[MemoryDiagnoser]
public class QueueThroughputBenchmarks
{
    private const int Messages = 500;
    private const int Concurrency = 8;

    private Process? _sink;
    private SmtpTransport? _transport;
    private (Envelope Envelope, byte[] Raw)[] _messages = [];
    private MailQueue? _sqlite;
    private MailQueue? _postgres;
    private string _directory = "";

    [GlobalSetup]
    public void Setup()
    {
        int port = FreePort();
        _sink = Process.Start(new ProcessStartInfo("smtp-sink", ["-u", "postfix", $"127.0.0.1:{port}", "256"]) { RedirectStandardError = true })
            ?? throw new InvalidOperationException("smtp-sink (postfix) is not installed");
        WaitForPort(port);
        var config = new BrokerConfig { HostName = "bench.sender.test", Tls = TlsPolicy.Disabled, MaxIdleConnectionsPerHost = Concurrency };
        config.Routes["*"] = "127.0.0.1:" + port;
        _transport = new SmtpTransport(config);
        var body = new string('x', 76);
        _messages = Enumerable.Range(0, Messages).Select(i =>
        {
            string rcpt = $"user{i}@sink{i % 10}.test";
            var text = new StringBuilder();
            text.Append($"From: sender@sender.test\r\nTo: {rcpt}\r\nSubject: bench {i}\r\nMessage-ID: <bench-{i}@sender.test>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n");
            for (int line = 0; line < 25; line++)
            {
                text.Append(body).Append("\r\n");
            }
            return (new Envelope(new MailAddress("sender@sender.test"), [new MailAddress(rcpt)]), Encoding.ASCII.GetBytes(text.ToString()));
        }).ToArray();
        _directory = Path.Combine(Path.GetTempPath(), "mm-bench-" + Guid.NewGuid().ToString("N"));
        var options = new QueueOptions { MaxConcurrentDeliveries = Concurrency, MaxConcurrentPerDomain = Concurrency };
        _sqlite = new MailQueue(new SqliteQueueStore(_directory), options);
        string pg = Environment.GetEnvironmentVariable("MODERNMAIL_TEST_PG") ?? "Host=127.0.0.1;Port=5432;Username=modernmail;Password=modernmail;Database=modernmail";
        _postgres = new MailQueue(new PostgreSqlQueueStore(pg), options);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _transport?.Dispose();
        _sink?.Kill();
        _sink?.Dispose();
        _sqlite?.Store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        _postgres?.Store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    [IterationSetup]
    public void Empty()
    {
        _sqlite!.PurgeAsync(includePending: true).GetAwaiter().GetResult();
        _postgres!.PurgeAsync(includePending: true).GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Messages, Description = "direct SmtpTransport")]
    public Task Direct() => Parallel.ForEachAsync(_messages, new ParallelOptions { MaxDegreeOfParallelism = Concurrency }, async (m, ct) =>
    {
        var results = await _transport!.DeliverAsync(m.Envelope, new MemoryStream(m.Raw), ct);
        if (!results[0].Delivered)
        {
            throw new InvalidOperationException(results[0].Detail);
        }
    });

    [Benchmark(OperationsPerInvoke = Messages, Description = "SQLite enqueue")]
    public Task SqliteEnqueue() => EnqueueAll(_sqlite!);

    [Benchmark(OperationsPerInvoke = Messages, Description = "SQLite enqueue+deliver")]
    public Task SqliteEnqueueAndDeliver() => EnqueueAndDeliver(_sqlite!);

    [Benchmark(OperationsPerInvoke = Messages, Description = "PostgreSQL enqueue")]
    public Task PostgresEnqueue() => EnqueueAll(_postgres!);

    [Benchmark(OperationsPerInvoke = Messages, Description = "PostgreSQL enqueue+deliver")]
    public Task PostgresEnqueueAndDeliver() => EnqueueAndDeliver(_postgres!);

    private Task EnqueueAll(MailQueue queue) => Parallel.ForEachAsync(_messages, new ParallelOptions { MaxDegreeOfParallelism = Concurrency },
        async (m, ct) => await queue.EnqueueAsync(m.Envelope, new MemoryStream(m.Raw), ct));

    private async Task EnqueueAndDeliver(MailQueue queue)
    {
        await EnqueueAll(queue);
        var worker = new QueueWorker(queue, _transport!);
        int delivered = 0;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        worker.RecipientUpdated += (_, e) =>
        {
            if (e.State != RecipientState.Delivered)
            {
                done.TrySetException(new InvalidOperationException($"{e.Recipient}: {e.State} {e.Detail}"));
            }
            else if (Interlocked.Increment(ref delivered) == Messages)
            {
                done.TrySetResult();
            }
        };
        await worker.StartAsync();
        await done.Task.WaitAsync(TimeSpan.FromMinutes(2));
        await worker.StopAsync();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static void WaitForPort(int port)
    {
        for (int i = 0; i < 100; i++)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
        throw new InvalidOperationException("smtp-sink did not start");
    }
}
