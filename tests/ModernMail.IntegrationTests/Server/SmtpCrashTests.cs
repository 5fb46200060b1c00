using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>SIGKILL of the server right after it answered 250 to SMTP submissions: every acknowledged message is delivered after a restart, once.</summary>
public sealed class SmtpCrashTests : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-smtp-crash-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task KilledRightAfter250s_Restarted_EveryAcknowledgedMessageIsDelivered()
    {
        Directory.CreateDirectory(_directory);
        const int Count = 12;
        string rcpt = TestWorld.Unique("smtpcrash");
        string pyRcpt = TestWorld.Unique("smtpcrashpy");
        var replies = new List<string>();
        // First life: mail exchangers unreachable (port 9 on loopback refuses), so nothing can be delivered before the kill.
        await using (var first = await SmtpFixture.StartAsync(_directory, route: "*=127.0.0.1:9"))
        {
            string secret = await first.CreateKeyAsync("crash", TestWorld.SenderDomain);
            // Two MailKit sessions in parallel and one smtplib session, each several messages.
            var sessions = Enumerable.Range(0, 2).Select(async session =>
            {
                using var client = await SmtpClients.ConnectMailKitAsync(first.SmtpPort, Ct);
                await client.AuthenticateAsync("crash", secret, Ct);
                var got = new List<string>();
                for (int i = 0; i < Count / 2; i++)
                {
                    got.Add(await client.SendAsync(SmtpClients.Message("ops@sender.test", rcpt, $"crash {session}-{i}"), Ct));
                }
                return got;
            }).ToList();
            var python = SmtpClients.RunPythonAsync("""
                s = secure(connect()); s.login(USER, SECRET)
                for i in range(4):
                    msg = f'From: ops@sender.test\r\nTo: {ARGS[0]}\r\nSubject: crash py-{i}\r\n\r\nbody {i}\r\n'.encode()
                    s.sendmail('ops@sender.test', [ARGS[0]], msg)
                    print('sent', i, flush=True)
                """, first.SmtpPort, "crash", secret, [pyRcpt], cancellationToken: Ct);
            foreach (var session in sessions)
            {
                replies.AddRange(await session);
            }
            var (exit, stdout, stderr) = await python;
            Assert.True(exit == 0, stdout + stderr);
            Assert.Contains("sent 3", stdout, StringComparison.Ordinal);
            await first.KillAsync(); // SIGKILL, at once after the last 250
        }
        Assert.All(replies, r => Assert.StartsWith("2.0.0 Ok: queued as ", r, StringComparison.Ordinal));
        Assert.Empty(TestWorld.GetMessages(rcpt));
        Assert.Empty(TestWorld.GetMessages(pyRcpt));

        // Second life on the same data directory, now with the real MX.
        await using var second = await SmtpFixture.StartAsync(_directory);
        var files = await TestWorld.WaitForMessagesAsync(rcpt, Count, TimeSpan.FromSeconds(60), Ct);
        var pyFiles = await TestWorld.WaitForMessagesAsync(pyRcpt, 4, TimeSpan.FromSeconds(60), Ct);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        Assert.Equal(Count, TestWorld.GetMessages(rcpt).Count);
        Assert.Equal(4, TestWorld.GetMessages(pyRcpt).Count);
        var subjects = files.Concat(pyFiles).Select(f => File.ReadAllLines(f).First(l => l.StartsWith("Subject: ", StringComparison.Ordinal))).ToHashSet();
        Assert.Equal(Count + 4, subjects.Count);
        Assert.All(files, f => Assert.Contains("dkim=none", File.ReadAllText(f), StringComparison.Ordinal)); // No DKIM key configured here.
        Assert.Equal(0, await second.TerminateAsync(TimeSpan.FromSeconds(30)));
    }
}
