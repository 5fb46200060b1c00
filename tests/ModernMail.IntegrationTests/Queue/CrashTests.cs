using System.Diagnostics;
using System.Net.Mail;
using System.Text;
using System.Text.RegularExpressions;
using ModernMail.Delivery;
using ModernMail.IntegrationTests.World;
using ModernMail.Queue;
using Xunit;

namespace ModernMail.IntegrationTests.Queue;

/// <summary>SIGKILLs a real <c>mailbroker serve</c> process mid-delivery, again and again, and checks the Maildirs: nothing lost.</summary>
public sealed partial class CrashTests : IDisposable
{
    private const int MessageCount = 500;
    private const int RecipientCount = 100;
    private const int Concurrency = 6;
    private const int Kills = 4;

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-crash-" + Guid.NewGuid().ToString("N"));
    private readonly string _run = Guid.NewGuid().ToString("N")[..8];

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        for (int r = 0; r < RecipientCount; r++)
        {
            TestWorld.ClearMailbox(Recipient(r));
        }
    }

    private string Recipient(int r) => $"crash{_run}-{r}@{(r % 2 == 0 ? TestWorld.DomainA : TestWorld.DomainB)}";

    [Fact]
    public async Task ServeProcess_KilledRepeatedlyMidRun_EveryMessageArrives_DuplicatesOnlyFromInFlight()
    {
        // Deliveries go to the milter-free listener (TestWorld.NoMilterMx): SIGKILLing clients mid-DATA on port 25 makes the
        // world's OpenDKIM milter tempfail and then crash, which would break the tests that run after this one.
        TestWorld.EnsureUp();
        await EnsureNoMilterMxAsync();
        string mailbroker = MailbrokerPath();
        string store = "sqlite:" + _directory;
        var expected = new HashSet<string>(StringComparer.Ordinal);
        await using (var queue = new MailQueue(new QueueOptions { Store = store }))
        {
            for (int i = 0; i < MessageCount; i++)
            {
                string rcpt = Recipient(i % RecipientCount);
                string messageId = $"crash-{_run}-{i}@sender.test";
                expected.Add(messageId);
                byte[] raw = Encoding.ASCII.GetBytes(
                    $"From: sender@sender.test\r\nTo: {rcpt}\r\nSubject: crash {i}\r\nMessage-ID: <{messageId}>\r\n\r\nmessage {i} of the crash test\r\n");
                await queue.EnqueueAsync(new Envelope(new MailAddress("sender@sender.test"), [new MailAddress(rcpt)]), new MemoryStream(raw), Ct);
            }
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();

        var log = new StringBuilder();
        var random = new Random();
        int deliveredBeforeKills = 0;
        for (int kill = 0; kill < Kills; kill++)
        {
            using var serve = Start(mailbroker, store, exitWhenIdle: false, log, out var delivered);
            // Let it get going (some deliveries done, more in flight), then SIGKILL at a random moment.
            var started = Stopwatch.StartNew();
            int target = delivered.Count + 15 + random.Next(30);
            while (delivered.Count < target && started.Elapsed < TimeSpan.FromSeconds(15) && !serve.HasExited)
            {
                await Task.Delay(10, Ct);
            }
            await Task.Delay(random.Next(0, 150), Ct);
            serve.Kill(entireProcessTree: true); // SIGKILL: no shutdown code runs
            await serve.WaitForExitAsync(Ct);
            deliveredBeforeKills += delivered.Count;
            log.AppendLine($"-- killed run {kill + 1} after {started.Elapsed.TotalSeconds:F1}s, {delivered.Count} delivered in that run");
        }

        using (var final = Start(mailbroker, store, exitWhenIdle: true, log, out var delivered))
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
            timeout.CancelAfter(TimeSpan.FromSeconds(100));
            try
            {
                await final.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                final.Kill(entireProcessTree: true); // never leave a worker running after the test
                Assert.Fail($"the final serve run did not finish in 100 s ({delivered.Count} delivered); Postfix log tail:\n{PostfixTail()}\n{log}");
            }
            Assert.True(final.ExitCode == 0, $"final serve exited {final.ExitCode}\n{log}");
            log.AppendLine($"-- final run delivered {delivered.Count}");
        }

        // Postfix hands each accepted message to the Maildir shortly after 250; wait for it, then count Message-IDs.
        Dictionary<string, int> seen = [];
        var wait = Stopwatch.StartNew();
        while (wait.Elapsed < TimeSpan.FromSeconds(60))
        {
            seen = ScanMaildirs();
            if (expected.All(seen.ContainsKey))
            {
                break;
            }
            await Task.Delay(250, Ct);
        }
        var lost = expected.Where(id => !seen.ContainsKey(id)).ToList();
        int duplicates = seen.Where(p => expected.Contains(p.Key)).Sum(p => p.Value - 1);
        TestContext.Current.TestOutputHelper?.WriteLine(
            $"crash test: {MessageCount} messages, {Kills} SIGKILLs, {deliveredBeforeKills} delivered before the last restart, lost {lost.Count}, duplicates {duplicates}\n{log}");

        Assert.True(lost.Count == 0, $"{lost.Count} message(s) never arrived, e.g. {string.Join(", ", lost.Take(5))}\n{log}");
        // A duplicate can only come from a transaction in flight at a kill: at most Concurrency per kill.
        Assert.InRange(duplicates, 0, Kills * Concurrency);
        await using var check = new MailQueue(new QueueOptions { Store = store });
        Assert.Empty(await check.ListAsync(pendingOnly: true, cancellationToken: Ct));
        var all = await check.ListAsync(pendingOnly: false, limit: 10_000, cancellationToken: Ct);
        Assert.Equal(MessageCount, all.Count);
        Assert.All(all, m => Assert.Equal(RecipientState.Delivered, Assert.Single(m.Recipients).State));
    }

    private static async Task EnsureNoMilterMxAsync()
    {
        using var client = new System.Net.Sockets.TcpClient();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(3));
        try
        {
            await client.ConnectAsync(TestWorld.NoMilterMx, timeout.Token);
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or OperationCanceledException)
        {
            Assert.Fail($"the milter-free MX {TestWorld.NoMilterMx} does not answer ({e.Message}): run scripts/testworld/up.sh");
        }
    }

    private static string PostfixTail()
    {
        try
        {
            var lines = File.ReadAllLines(TestWorld.PostfixLog);
            return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 10)));
        }
        catch (IOException ex)
        {
            return ex.Message;
        }
    }

    private Dictionary<string, int> ScanMaildirs()
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int r = 0; r < RecipientCount; r++)
        {
            foreach (var file in TestWorld.GetMessages(Recipient(r)))
            {
                string text;
                try { text = File.ReadAllText(file); } catch (IOException) { continue; }
                var match = MessageIdPattern().Match(text);
                if (match.Success)
                {
                    counts[match.Groups[1].Value] = counts.GetValueOrDefault(match.Groups[1].Value) + 1;
                }
            }
        }
        return counts;
    }

    private static Process Start(string mailbroker, string store, bool exitWhenIdle, StringBuilder log, out List<string> delivered)
    {
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in (string[])[mailbroker, "serve", "--store", store, "--dns", $"{TestWorld.DnsServer.Address}:{TestWorld.DnsServer.Port}",
            "--route", $"{TestWorld.DomainA}={TestWorld.NoMilterMx}", "--route", $"{TestWorld.DomainB}={TestWorld.NoMilterMx}",
            "--http", "none", "--smtp", "none", "--hostname", "mx.sender.test", "--concurrency", Concurrency.ToString(), "--lease", "3s", "--poll", "200ms", "--retry-first", "2s", "--retry-max", "5s"])
        {
            info.ArgumentList.Add(arg);
        }
        if (exitWhenIdle)
        {
            info.ArgumentList.Add("--exit-when-idle");
        }
        var process = new Process { StartInfo = info };
        var lines = new List<string>();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is { } line && line.Contains(" delivered ", StringComparison.Ordinal))
            {
                lock (lines) { lines.Add(line); }
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is { } line)
            {
                lock (log) { log.AppendLine(line); }
            }
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        delivered = lines;
        return process;
    }

    private static string MailbrokerPath()
    {
        // The test runs from tests/ModernMail.IntegrationTests/bin/<Configuration>/net10.0/; use the CLI built in the same configuration.
        string configuration = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar)).Parent!.Name;
        string path = Path.Combine(TestWorld.RepoRoot, "src", "ModernMail.Cli", "bin", configuration, "net10.0", "mailbroker.dll");
        Assert.True(File.Exists(path), $"{path} is missing: build the solution (dotnet build ModernMail.slnx -c {configuration}) first.");
        return path;
    }

    [GeneratedRegex(@"^Message-ID:\s*<([^>]+)>", RegexOptions.Multiline | RegexOptions.IgnoreCase)]
    private static partial Regex MessageIdPattern();
}
