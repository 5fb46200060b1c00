using Microsoft.Data.Sqlite;
using ModernMail.Queue;
using Xunit;

namespace ModernMail.Tests.Queue;

/// <summary>The SQLite store keeps events and suppressions (see <see cref="EventStoreScenarios"/>).</summary>
public sealed class SqliteEventStoreTests : IDisposable
{
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-events-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private async Task RunAsync(Func<IQueueStore, CancellationToken, Task> scenario)
    {
        await using var store = new SqliteQueueStore(_directory);
        await store.InitializeAsync(Ct);
        await scenario(store, Ct);
    }

    [Fact]
    public Task HardBounce_Suppresses_ForTheSenderDomain() => RunAsync(EventStoreScenarios.HardBounce_Suppresses_ForTheSenderDomain);

    [Fact]
    public Task SuppressedWhileDeferred_IsNotAttempted() => RunAsync(EventStoreScenarios.SuppressedWhileDeferred_IsNotAttempted);

    [Fact]
    public Task Newest_ReturnsTheLastEvents_InCommitOrder() => RunAsync(EventStoreScenarios.Newest_ReturnsTheLastEvents_InCommitOrder);

    [Fact]
    public Task Feedback_RecordsEventsAndSuppressions() => RunAsync(EventStoreScenarios.Feedback_RecordsEventsAndSuppressions);

    [Fact]
    public Task Subscription_IsHeldByOneOwner_AndResumesFromTheSavedCursor() => RunAsync(EventStoreScenarios.Subscription_IsHeldByOneOwner_AndResumesFromTheSavedCursor);
}
