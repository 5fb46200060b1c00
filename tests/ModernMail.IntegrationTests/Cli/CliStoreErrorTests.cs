using Xunit;

namespace ModernMail.IntegrationTests.Cli;

/// <summary>An unusable queue store, as an unprivileged operator meets it: exit 3 and one line naming the path and the reason.</summary>
public sealed class CliStoreErrorTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-cli-store-" + Guid.NewGuid().ToString("N"));

    public CliStoreErrorTests()
    {
        Directory.CreateDirectory(_directory);
        File.WriteAllText(Path.Combine(_directory, "regular-file"), "x");
    }

    public static TheoryData<string, string, string> Cases => new()
    {
        { "queue list", "sqlite:/nonexistent-mm/dir/q.db", "permission denied" },
        { "queue list", "sqlite:{dir}/regular-file/q.db", "is a file, not a directory" },
        { "queue add", "sqlite:/nonexistent-mm/dir", "permission denied" },
        { "serve", "sqlite:/nonexistent-mm/dir/q.db", "permission denied" },
        { "queue show", "sqlite:/proc/mm-q.db", "cannot be opened" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task UnusableStore_ExitsThreeWithOneLineAndNoStackTrace(string command, string store, string reason)
    {
        store = store.Replace("{dir}", _directory, StringComparison.Ordinal);
        List<string> args = [.. command.Split(' '), "--store", store];
        if (command == "queue add")
        {
            args.AddRange(["--from", "a@example.test", "--to", "b@example.test", "--text", "hi"]);
        }
        else if (command == "queue show")
        {
            args.Add("some-id");
        }
        else if (command == "serve")
        {
            args.Add("--exit-when-idle");
        }

        CliResult result = await CliProcess.RunAsNobodyAsync([.. args]);

        Assert.True(result.ExitCode == 3, result.ToString());
        string[] lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.True(lines.Length == 1, result.ToString());
        Assert.Contains(reason, lines[0], StringComparison.Ordinal);
        Assert.Contains(store["sqlite:".Length..].Split('/')[1], lines[0], StringComparison.Ordinal);
        Assert.DoesNotContain(" at ", result.Stderr, StringComparison.Ordinal);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task CorruptDatabase_ExitsThreeWithASummaryLine()
    {
        string file = Path.Combine(_directory, "corrupt.db");
        File.WriteAllBytes(file, [.. Enumerable.Range(0, 16384).Select(i => (byte)(i * 31))]);

        CliResult result = await CliProcess.RunAsync("queue", "list", "--store", "sqlite:" + file);

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains(file, result.Stderr, StringComparison.Ordinal);
        Assert.Contains("corrupt", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task UnknownStoreScheme_IsUsageError()
    {
        CliResult result = await CliProcess.RunAsync("queue", "list", "--store", "bogus:xyz");

        Assert.True(result.ExitCode == 2, result.ToString());
        Assert.Contains("Unknown queue store scheme 'bogus'", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Parameter", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PostgresStore_IsResolvedByTheCli_AnUnreachableServerExitsThree()
    {
        // The CLI builds PostgreSqlQueueStore itself (the core library no longer finds it by reflection).
        CliResult result = await CliProcess.RunAsync("queue", "list", "--store", "postgres:Host=127.0.0.1;Port=9;Timeout=2;Username=mm;Database=mm");

        Assert.True(result.ExitCode == 3, result.ToString());
        Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("127.0.0.1:9", result.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("ModernMail.PostgreSql", result.Stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
