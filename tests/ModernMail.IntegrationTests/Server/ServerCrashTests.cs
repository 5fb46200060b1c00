using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using ModernMail.IntegrationTests.World;
using Xunit;

namespace ModernMail.IntegrationTests.Server;

/// <summary>SIGKILL of the server right after it answered 202: every accepted message is delivered after a restart, once.</summary>
public sealed class ServerCrashTests : IAsyncDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-server-crash-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
        return ValueTask.CompletedTask;
    }

    [Fact]
    public async Task KilledRightAfter202_Restarted_EveryAcceptedMessageIsDelivered()
    {
        Directory.CreateDirectory(_directory);
        const int Count = 20;
        string rcpt = TestWorld.Unique("crash");
        var ids = new List<string>();
        // First life: mail exchangers unreachable (port 9 on loopback refuses), so nothing can be delivered before the kill.
        await using (var first = await ServeProcess.StartAsync(_directory, route: "*=127.0.0.1:9"))
        {
            string secret = await first.CreateKeyAsync("crash", TestWorld.SenderDomain);
            using var client = first.Client(secret);
            var posts = Enumerable.Range(0, Count).Select(i => client.PostAsJsonAsync("/v1/messages",
                new { from = "ops@sender.test", to = new[] { rcpt }, subject = $"crash {i}", text = $"message {i}" }, Ct)).ToList();
            foreach (var post in posts)
            {
                using var response = await post;
                string body = await response.Content.ReadAsStringAsync(Ct);
                Assert.True(response.StatusCode == HttpStatusCode.Accepted, body);
                using var document = JsonDocument.Parse(body);
                ids.Add(document.RootElement.GetProperty("id").GetString()!);
            }
            await first.KillAsync(); // SIGKILL, at once after the last 202
        }
        Assert.Empty(TestWorld.GetMessages(rcpt));

        // Second life on the same data directory, now with the real MX.
        await using var second = await ServeProcess.StartAsync(_directory);
        var files = await TestWorld.WaitForMessagesAsync(rcpt, Count, TimeSpan.FromSeconds(60), Ct);
        await Task.Delay(TimeSpan.FromSeconds(2), Ct);
        Assert.Equal(Count, TestWorld.GetMessages(rcpt).Count);
        var subjects = files.Select(f => File.ReadAllLines(f).First(l => l.StartsWith("Subject: ", StringComparison.Ordinal))).ToHashSet();
        Assert.Equal(Count, subjects.Count);

        // The key survived too, and the API reports the messages delivered.
        string again = await second.CreateKeyAsync("after-restart", TestWorld.SenderDomain);
        using var check = second.Client(again);
        foreach (string id in ids)
        {
            using var status = JsonDocument.Parse(await check.GetStringAsync($"/v1/messages/{id}", Ct));
            Assert.NotEqual("queued", status.RootElement.GetProperty("status").GetString());
        }
        Assert.Equal(0, await second.TerminateAsync(TimeSpan.FromSeconds(30)));
    }
}
