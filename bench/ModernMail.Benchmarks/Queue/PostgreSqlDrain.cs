using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Mail;
using System.Text;
using ModernMail.Delivery;
using ModernMail.PostgreSql;
using ModernMail.Queue;
using Npgsql;

namespace ModernMail.Benchmarks.Queue;

/// <summary>
/// How fast K real <c>mailbroker serve</c> processes drain one PostgreSQL queue (console mode, not BenchmarkDotNet).
/// Usage: pgdrain &lt;processes&gt; &lt;messages&gt; [sink host:port]. Creates a throwaway schema in $MODERNMAIL_TEST_PG
/// (default: the test world's database), enqueues N ~2 KB messages to 20 domains, starts the processes (default
/// concurrency 16, 4 per domain, routed to the sink) and times the drain from their own "delivered" lines.
/// </summary>
internal static class PostgreSqlDrain
{
    private const string DefaultDatabase = "Host=127.0.0.1;Port=5432;Username=modernmail;Password=modernmail;Database=modernmail";

    public static int Run(string[] args)
    {
        if (args.Length < 2)
        {
            Console.Error.WriteLine("usage: pgdrain <processes> <messages> [127.0.0.1:2650]");
            return 2;
        }
        return RunAsync(int.Parse(args[0], CultureInfo.InvariantCulture), int.Parse(args[1], CultureInfo.InvariantCulture),
            args.Length > 2 ? args[2] : "127.0.0.1:2650").GetAwaiter().GetResult();
    }

    private static async Task<int> RunAsync(int processes, int messages, string sink)
    {
        string baseConnection = Environment.GetEnvironmentVariable("MODERNMAIL_TEST_PG") is { Length: > 0 } pg ? pg : DefaultDatabase;
        string schema = "mmbench_" + Guid.NewGuid().ToString("N")[..12];
        string connection = new NpgsqlConnectionStringBuilder(baseConnection) { SearchPath = schema }.ToString();
        string tool = Path.Combine(FindRepoRoot(), "src", "ModernMail.Cli", "bin", "Release", "net10.0", "mailbroker.dll");
        string work = Directory.CreateTempSubdirectory("mm-pgdrain-").FullName;
        await ExecuteAsync(baseConnection, $"CREATE SCHEMA {schema}");
        var servers = new List<Process>();
        try
        {
            var enqueue = Stopwatch.StartNew();
            await using (var queue = new MailQueue(new PostgreSqlQueueStore(connection)))
            {
                string filler = new('x', 2000);
                await Parallel.ForEachAsync(Enumerable.Range(0, messages), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
                {
                    string rcpt = $"u{i}@d{i % 20}.bench";
                    byte[] raw = Encoding.ASCII.GetBytes($"From: sender@sender.test\r\nTo: {rcpt}\r\nSubject: drain {i}\r\nMessage-ID: <bench-{i}@sender.test>\r\n\r\n{filler}\r\n");
                    await queue.EnqueueAsync(new Envelope(new MailAddress("sender@sender.test"), [new MailAddress(rcpt)]), new MemoryStream(raw), ct);
                });
            }
            enqueue.Stop();

            // Every "delivered" line with the moment it arrived; the drain is timed from the first to the last.
            var delivered = new ConcurrentQueue<(int Server, TimeSpan At, string Recipient)>();
            int total = 0;
            var clock = Stopwatch.StartNew();
            for (int k = 0; k < processes; k++)
            {
                string data = Path.Combine(work, "node" + k);
                Directory.CreateDirectory(data);
                var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (string arg in (string[])[tool, "serve", "--http", "none", "--smtp", "none", "--data", data, "--route", "*=" + sink,
                    "--hostname", $"bench{k}.sender.test", "--poll", "200ms", "--tls", "Disabled", "--json"])
                {
                    info.ArgumentList.Add(arg);
                }
                info.Environment["MAILBROKER__STORE"] = "postgres:" + connection;
                info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
                var process = new Process { StartInfo = info };
                int server = k;
                process.OutputDataReceived += (_, e) =>
                {
                    if (e.Data is { } line && line.Contains("\"state\":\"delivered\"", StringComparison.Ordinal))
                    {
                        using var json = System.Text.Json.JsonDocument.Parse(line);
                        delivered.Enqueue((server, clock.Elapsed, json.RootElement.GetProperty("recipient").GetString() ?? ""));
                        Interlocked.Increment(ref total);
                    }
                };
                process.ErrorDataReceived += (_, e) =>
                {
                    // The start line carries the connection string (password included): not for a benchmark log.
                    if (e.Data is { } line && !line.StartsWith("mailbroker serve: delivering from", StringComparison.Ordinal))
                    {
                        Console.Error.WriteLine($"[{server}] {line}");
                    }
                };
                process.Start();
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                servers.Add(process);
            }
            while (Volatile.Read(ref total) < messages && clock.Elapsed < TimeSpan.FromMinutes(5) && servers.All(s => !s.HasExited))
            {
                await Task.Delay(50);
            }
            await using (var queue = new MailQueue(new PostgreSqlQueueStore(connection)))
            {
                int pending = (await queue.ListAsync(pendingOnly: true, limit: 1)).Count;
                var times = delivered.ToArray();
                if (times.Length < messages || pending > 0)
                {
                    Console.Error.WriteLine($"pgdrain: only {times.Length} of {messages} delivered (pending left: {pending})");
                    return 1;
                }
                var first = times.Min(t => t.At);
                var last = times.Max(t => t.At);
                // No kill here: a recipient reported delivered twice would be a lease handed to two processes.
                int distinct = times.Select(t => t.Recipient).Distinct(StringComparer.OrdinalIgnoreCase).Count();
                string perServer = string.Join("/", Enumerable.Range(0, processes).Select(k => times.Count(t => t.Server == k)));
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {processes} | {messages} | {messages / enqueue.Elapsed.TotalSeconds:0} | {first.TotalSeconds:0.0} | {(last - first).TotalSeconds:0.00} | {messages / (last - first).TotalSeconds:0} | {messages / last.TotalSeconds:0} | {perServer} | {messages - distinct} | {times.Length - distinct} |"));
                return distinct == messages && times.Length == messages ? 0 : 1;
            }
        }
        finally
        {
            foreach (var server in servers)
            {
                if (!server.HasExited)
                {
                    server.Kill();
                }
                await server.WaitForExitAsync();
                server.Dispose();
            }
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(baseConnection, $"DROP SCHEMA IF EXISTS {schema} CASCADE");
            try { Directory.Delete(work, recursive: true); } catch (IOException) { }
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ModernMail.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("ModernMail.slnx not found above " + AppContext.BaseDirectory);
    }
}
