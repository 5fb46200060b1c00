using System.Net.Mail;
using ModernMail.Delivery;
using ModernMail.PostgreSql;
using ModernMail.Queue;
using ModernMail.Tests.Queue;
using Npgsql;
using Xunit;

namespace ModernMail.IntegrationTests.Queue;

/// <summary>The PostgreSQL store keeps events and suppressions like the SQLite one, and hands out events in commit order
/// even when several writers commit out of sequence order.</summary>
public sealed class PostgreSqlEventStoreTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static async Task RunAsync(Func<IQueueStore, CancellationToken, Task> scenario)
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        await using var store = new PostgreSqlQueueStore(database.ConnectionString);
        await store.InitializeAsync(Ct);
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

    [Fact]
    public async Task AnEventCommittedLate_IsNeverSkippedByACursor()
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        await using var store = new PostgreSqlQueueStore(database.ConnectionString);
        await store.InitializeAsync(Ct);
        var envelope = new Envelope(new MailAddress("s@sender.test"), [new MailAddress("a@a.test")]);
        await store.EnqueueAsync(new QueueEntry("first", envelope, s_t0, s_t0.AddDays(1)), new MemoryStream("x\r\n"u8.ToArray()), Ct);
        var start = Assert.Single(await store.ReadEventsAsync(new EventQuery(), Ct));

        // Another node's transaction takes its sequence number and stays open while a later one commits.
        await using var slow = new NpgsqlConnection(database.ConnectionString);
        await slow.OpenAsync(Ct);
        await using var transaction = await slow.BeginTransactionAsync(Ct);
        await using (var insert = new NpgsqlCommand(
            "INSERT INTO mm_events (type, message_id, idx, recipient, at, category) VALUES (1, 'first', 0, 'a@a.test', 0, 0)", slow, transaction))
        {
            await insert.ExecuteNonQueryAsync(Ct);
        }
        await store.EnqueueAsync(new QueueEntry("second", envelope, s_t0, s_t0.AddDays(1)), new MemoryStream("x\r\n"u8.ToArray()), Ct);

        // Nothing after the open transaction is handed out yet: a cursor past "second" would skip the slow event for good.
        Assert.Empty(await store.ReadEventsAsync(new EventQuery { After = start.Cursor }, Ct));
        await transaction.CommitAsync(Ct);
        var after = await store.ReadEventsAsync(new EventQuery { After = start.Cursor }, Ct);
        Assert.Equal([("first", QueueEventType.Delivered), ("second", QueueEventType.Queued)], after.Select(e => (e.MessageId, e.Type)));
    }
}
