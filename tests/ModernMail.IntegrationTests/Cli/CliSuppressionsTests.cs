using System.Text.Json;
using Xunit;

namespace ModernMail.IntegrationTests.Cli;

/// <summary><c>mailbroker suppressions</c> and <c>mailbroker events</c> on a server data directory, as an operator runs them.</summary>
public sealed class CliSuppressionsTests : IDisposable
{
    private readonly string _data = Path.Combine(Path.GetTempPath(), "mm-cli-sup-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task AddedAddress_IsListed_SuppressesQueuedMail_ShowsInEvents_AndCanBeRemoved()
    {
        string rcpt = "Someone@A.test";
        CliResult add = await CliProcess.RunAsync("suppressions", "add", rcpt, "--scope", "sender.test", "--detail", "asked by phone", "--data", _data);
        Assert.True(add.ExitCode == 0, add.Stderr);

        CliResult list = await CliProcess.RunAsync("suppressions", "list", "--json", "--data", _data);
        Assert.True(list.ExitCode == 0, list.Stderr);
        using (var entry = JsonDocument.Parse(Assert.Single(list.StdoutLines)))
        {
            Assert.Equal("someone@a.test", entry.RootElement.GetProperty("address").GetString());
            Assert.Equal("sender.test", entry.RootElement.GetProperty("scope").GetString());
            Assert.Equal("manual", entry.RootElement.GetProperty("reason").GetString());
            Assert.Equal("asked by phone", entry.RootElement.GetProperty("detail").GetString());
        }

        CliResult queued = await CliProcess.RunAsync("queue", "add", "--store", "sqlite:" + _data, "--from", "ops@sender.test",
            "--to", rcpt, "--to", "other@a.test", "--subject", "s", "--text", "t");
        Assert.True(queued.ExitCode == 0, queued.Stderr);
        string id = Assert.Single(queued.StdoutLines);

        CliResult events = await CliProcess.RunAsync("events", "--json", "--message", id, "--data", _data);
        Assert.True(events.ExitCode == 0, events.Stderr);
        var types = events.StdoutLines.Select(line =>
        {
            using var e = JsonDocument.Parse(line);
            return e.RootElement.GetProperty("recipient").GetString() + " " + e.RootElement.GetProperty("type").GetString();
        }).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(["Someone@A.test suppressed", "other@a.test queued"], types);
        Assert.Contains("continue with --since", events.Stderr, StringComparison.Ordinal);

        CliResult remove = await CliProcess.RunAsync("suppressions", "remove", rcpt, "--scope", "sender.test", "--data", _data);
        Assert.True(remove.ExitCode == 0, remove.Stderr);
        CliResult again = await CliProcess.RunAsync("suppressions", "remove", rcpt, "--scope", "sender.test", "--data", _data);
        Assert.Equal(1, again.ExitCode);
        Assert.Contains("is not on the list", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadInput_IsUsageError()
    {
        Assert.Equal(2, (await CliProcess.RunAsync("events", "--type", "opened", "--data", _data)).ExitCode);
        Assert.Equal(2, (await CliProcess.RunAsync("events", "--since", "garbage", "--data", _data)).ExitCode);
        Assert.Equal(2, (await CliProcess.RunAsync("suppressions", "add", "not an address", "--data", _data)).ExitCode);
    }

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try { Directory.Delete(_data, recursive: true); } catch (IOException) { }
    }
}
