using System.Net.Mail;
using ModernMail.Delivery;
using ModernMail.Queue;
using Xunit;

namespace ModernMail.Tests.Queue;

/// <summary>Events and suppressions as every <see cref="IQueueStore"/> must keep them; run on SQLite (unit tests) and
/// PostgreSQL (integration tests, where this file is linked).</summary>
public static class EventStoreScenarios
{
    private static readonly DateTimeOffset s_t0 = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    private static QueueEntry Entry(string id, string from, params string[] to) =>
        new(id, new Envelope(new MailAddress(from), [.. to.Select(t => new MailAddress(t))]), s_t0, s_t0.AddDays(5));

    private static MemoryStream Body() => new("Subject: x\r\n\r\nx\r\n"u8.ToArray());

    private static async Task<List<QueueEvent>> AllEventsAsync(IQueueStore store, CancellationToken ct, string? messageId = null)
    {
        var all = new List<QueueEvent>();
        string? cursor = null;
        while (true)
        {
            // Small pages, so paging by cursor is what the scenario exercises.
            var page = await store.ReadEventsAsync(new EventQuery { After = cursor, MessageId = messageId, Limit = 2 }, ct);
            if (page.Count == 0)
            {
                return all;
            }
            all.AddRange(page);
            cursor = page[^1].Cursor;
        }
    }

    /// <summary>Enqueue, attempt and bounce write their events in order; an unknown user is suppressed for the sender's domain only.</summary>
    public static async Task HardBounce_Suppresses_ForTheSenderDomain(IQueueStore store, CancellationToken ct)
    {
        var states = await store.EnqueueAsync(Entry("m1", "s@sender.test", "good@a.test", "Gone@A.test", "full@a.test") with { Annotations = """{"tags":["t1"],"metadata":{}}""" }, Body(), ct);
        Assert.Equal([RecipientState.Queued, RecipientState.Queued, RecipientState.Queued], states);
        var lease = Assert.Single(await store.LeaseAsync("w", s_t0, TimeSpan.FromMinutes(1), 10, ct));
        await store.CompleteAsync(lease,
        [
            new RecipientOutcome(0, RecipientState.Delivered, 1, null, "250 ok") { MxHost = "mx.a.test", Tls = "Tls13 X" },
            new RecipientOutcome(1, RecipientState.Bounced, 1, null, "550 5.1.1 no such user") { MxHost = "mx.a.test", Category = BounceCategory.InvalidRecipient },
            new RecipientOutcome(2, RecipientState.Bounced, 1, null, "552 5.2.2 mailbox full") { MxHost = "mx.a.test", Category = BounceCategory.MailboxFull },
        ], null, s_t0.AddSeconds(1), ct);

        var events = await AllEventsAsync(store, ct);
        Assert.Equal([QueueEventType.Queued, QueueEventType.Queued, QueueEventType.Queued, QueueEventType.Delivered, QueueEventType.Bounced, QueueEventType.Bounced],
            events.Select(e => e.Type));
        Assert.Equal(events.Count, events.Select(e => e.Id).Distinct().Count());
        Assert.All(events, e => Assert.Equal("""{"tags":["t1"],"metadata":{}}""", e.Annotations));
        var bounced = events[4];
        Assert.Equal(("m1", "Gone@A.test", 1, BounceCategory.InvalidRecipient, "550 5.1.1 no such user", "mx.a.test"),
            (bounced.MessageId, bounced.Recipient, bounced.RecipientIndex, bounced.Category, bounced.Reply, bounced.MxHost));
        Assert.Equal("Tls13 X", events[3].Tls);

        // Only the unknown user is listed (a full mailbox is not the address's fault), under the sender's domain.
        var listed = Assert.Single(await store.ListSuppressionsAsync(new SuppressionQuery(), ct));
        Assert.Equal(("gone@a.test", "sender.test", SuppressionReason.HardBounce, "m1"), (listed.Address, listed.Scope, listed.Reason, listed.MessageId));

        // The same sender gets "suppressed" at once (no lease, no attempt); another sender domain still sends.
        Assert.Equal([RecipientState.Suppressed, RecipientState.Queued],
            await store.EnqueueAsync(Entry("m2", "other@sender.test", "gone@a.test", "new@a.test"), Body(), ct));
        Assert.Equal([RecipientState.Queued], await store.EnqueueAsync(Entry("m3", "x@elsewhere.test", "gone@a.test"), Body(), ct));
        var leases = await store.LeaseAsync("w", s_t0, TimeSpan.FromMinutes(1), 10, ct);
        Assert.Equal(["m2", "m3"], leases.Select(l => l.Id).Order());
        Assert.Equal(["new@a.test"], leases.Single(l => l.Id == "m2").Recipients.Select(r => r.Address));
        Assert.Equal(RecipientState.Suppressed, (await store.GetAsync("m2", ct))!.Recipients[0].State);
        Assert.Equal([QueueEventType.Suppressed, QueueEventType.Queued], (await AllEventsAsync(store, ct, "m2")).Select(e => e.Type));

        // Removed from the list, the address is mailed again.
        Assert.True(await store.RemoveSuppressionAsync("GONE@a.test", "sender.test", ct));
        Assert.False(await store.RemoveSuppressionAsync("gone@a.test", "sender.test", ct));
        Assert.Equal([RecipientState.Queued], await store.EnqueueAsync(Entry("m4", "s@sender.test", "gone@a.test"), Body(), ct));
    }

    /// <summary>Newest reads the last events (of a type, of a message) and still returns them in commit order, the same events a full read ends with.</summary>
    public static async Task Newest_ReturnsTheLastEvents_InCommitOrder(IQueueStore store, CancellationToken ct)
    {
        await store.EnqueueAsync(Entry("n1", "s@sender.test", "a@a.test", "b@a.test", "c@a.test"), Body(), ct);
        await store.EnqueueAsync(Entry("n2", "s@sender.test", "d@a.test"), Body(), ct);
        var lease = (await store.LeaseAsync("w", s_t0, TimeSpan.FromMinutes(1), 10, ct)).Single(l => l.Id == "n1");
        await store.CompleteAsync(lease,
        [
            new RecipientOutcome(0, RecipientState.Delivered, 1, null, "250 ok"),
            new RecipientOutcome(1, RecipientState.Bounced, 1, null, "550 5.1.1 no") { Category = BounceCategory.InvalidRecipient },
            new RecipientOutcome(2, RecipientState.Deferred, 1, s_t0.AddMinutes(5), "451 later"),
        ], null, s_t0.AddSeconds(1), ct);
        var all = await AllEventsAsync(store, ct);

        var last = await store.ReadEventsAsync(new EventQuery { Newest = true, Limit = 3 }, ct);
        Assert.Equal(all.TakeLast(3).Select(e => e.Cursor), last.Select(e => e.Cursor));
        var queued = await store.ReadEventsAsync(new EventQuery { Newest = true, Type = QueueEventType.Queued, Limit = 2 }, ct);
        Assert.Equal([("n1", "c@a.test"), ("n2", "d@a.test")], queued.Select(e => (e.MessageId, e.Recipient)));
        var ofMessage = await store.ReadEventsAsync(new EventQuery { Newest = true, MessageId = "n2", Limit = 10 }, ct);
        Assert.Equal([QueueEventType.Queued], ofMessage.Select(e => e.Type));
        Assert.Equal(all.Select(e => e.Cursor), (await store.ReadEventsAsync(new EventQuery { Newest = true, Limit = 1000 }, ct)).Select(e => e.Cursor));
    }

    /// <summary>An address suppressed after its message was queued (a deferred retry) is not attempted again.</summary>
    public static async Task SuppressedWhileDeferred_IsNotAttempted(IQueueStore store, CancellationToken ct)
    {
        await store.EnqueueAsync(Entry("d1", "s@sender.test", "later@b.test"), Body(), ct);
        var lease = Assert.Single(await store.LeaseAsync("w", s_t0, TimeSpan.FromMinutes(1), 10, ct));
        await store.CompleteAsync(lease, [new RecipientOutcome(0, RecipientState.Deferred, 1, s_t0.AddMinutes(1), "421 4.7.28 rate limited") { Category = BounceCategory.RateLimited }],
            null, s_t0.AddSeconds(1), ct);
        // A rate limit never suppresses.
        Assert.Empty(await store.ListSuppressionsAsync(new SuppressionQuery(), ct));

        await store.AddSuppressionAsync(new Suppression("later@b.test", Suppression.GlobalScope, SuppressionReason.Manual, s_t0.AddSeconds(2)) { Detail = "operator" }, ct);
        Assert.Empty(await store.LeaseAsync("w", s_t0.AddMinutes(2), TimeSpan.FromMinutes(1), 10, ct));
        var message = await store.GetAsync("d1", ct);
        Assert.Equal(RecipientState.Suppressed, message!.Recipients[0].State);
        Assert.True(message.IsComplete);
        Assert.Null(await store.GetNextDueAsync(ct));
        Assert.Equal([QueueEventType.Queued, QueueEventType.Deferred, QueueEventType.Suppressed], (await AllEventsAsync(store, ct, "d1")).Select(e => e.Type));
        var deferred = (await store.ReadEventsAsync(new EventQuery { Type = QueueEventType.Deferred }, ct)).Single();
        Assert.Equal(BounceCategory.RateLimited, deferred.Category);
    }

    /// <summary>Unsubscribes and complaints arriving later are events and suppressions; a late DSN suppresses only an address fault.</summary>
    public static async Task Feedback_RecordsEventsAndSuppressions(IQueueStore store, CancellationToken ct)
    {
        await store.EnqueueAsync(Entry("f1", "news@brand.test", "u@c.test", "c@c.test", "dsn@c.test", "busy@c.test") with { SenderDomain = "Brand.test" }, Body(), ct);
        Assert.True(await store.RecordFeedbackAsync(new RecipientFeedback("f1", 0, QueueEventType.Unsubscribed, s_t0.AddHours(1)), ct));
        Assert.True(await store.RecordFeedbackAsync(new RecipientFeedback("f1", 1, QueueEventType.Complained, s_t0.AddHours(1)) { Detail = "abuse" }, ct));
        Assert.True(await store.RecordFeedbackAsync(new RecipientFeedback("f1", 2, QueueEventType.Bounced, s_t0.AddHours(1)) { Category = BounceCategory.InvalidRecipient, Detail = "5.1.1" }, ct));
        Assert.True(await store.RecordFeedbackAsync(new RecipientFeedback("f1", 3, QueueEventType.Bounced, s_t0.AddHours(1)) { Category = BounceCategory.SpamBlock }, ct));
        Assert.False(await store.RecordFeedbackAsync(new RecipientFeedback("nope", 0, QueueEventType.Unsubscribed, s_t0), ct));
        Assert.False(await store.RecordFeedbackAsync(new RecipientFeedback("f1", 9, QueueEventType.Unsubscribed, s_t0), ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.RecordFeedbackAsync(new RecipientFeedback("f1", 0, QueueEventType.Delivered, s_t0), ct));

        var list = await store.ListSuppressionsAsync(new SuppressionQuery { Scope = "brand.test" }, ct);
        Assert.Equal([("c@c.test", SuppressionReason.Complaint), ("dsn@c.test", SuppressionReason.HardBounce), ("u@c.test", SuppressionReason.Unsubscribe)],
            list.Select(s => (s.Address, s.Reason)));
        var page = await store.ListSuppressionsAsync(new SuppressionQuery { Limit = 1, After = "c@c.test brand.test" }, ct);
        Assert.Equal("dsn@c.test", Assert.Single(page).Address);
        var types = (await store.ReadEventsAsync(new EventQuery { MessageId = "f1" }, ct)).Select(e => e.Type).ToList();
        Assert.Equal([QueueEventType.Queued, QueueEventType.Queued, QueueEventType.Queued, QueueEventType.Queued,
            QueueEventType.Unsubscribed, QueueEventType.Complained, QueueEventType.Bounced, QueueEventType.Bounced], types);
        await Assert.ThrowsAsync<ArgumentException>(() => store.ReadEventsAsync(new EventQuery { After = "not-a-cursor" }, ct));
    }

    /// <summary>A subscription (a webhook's place in the stream) is held by one owner at a time, taken over when its lease runs out,
    /// and resumes from the last saved cursor.</summary>
    public static async Task Subscription_IsHeldByOneOwner_AndResumesFromTheSavedCursor(IQueueStore store, CancellationToken ct)
    {
        var lease = TimeSpan.FromSeconds(30);
        var first = await store.ClaimSubscriptionAsync("webhook:a", "node-1", s_t0, lease, ct);
        Assert.Equal(new EventSubscription("webhook:a", null, s_t0), first);
        Assert.Null(await store.ClaimSubscriptionAsync("webhook:a", "node-2", s_t0.AddSeconds(10), lease, ct));
        Assert.NotNull(await store.ClaimSubscriptionAsync("webhook:b", "node-2", s_t0, lease, ct)); // another endpoint is free

        await store.EnqueueAsync(Entry("s1", "news@brand.test", "u@c.test"), Body(), ct);
        string cursor = Assert.Single(await store.ReadEventsAsync(new EventQuery(), ct)).Cursor;
        Assert.True(await store.SaveSubscriptionAsync("webhook:a", "node-1", cursor, s_t0.AddSeconds(40), ct));
        Assert.True(await store.SaveSubscriptionAsync("webhook:a", "node-1", null, s_t0.AddSeconds(50), ct)); // renew only
        Assert.Null(await store.ClaimSubscriptionAsync("webhook:a", "node-2", s_t0.AddSeconds(45), lease, ct));

        // node-1 dies: once its lease has run out node-2 takes over where node-1 got to, and node-1 can no longer save.
        var taken = await store.ClaimSubscriptionAsync("webhook:a", "node-2", s_t0.AddSeconds(51), lease, ct);
        Assert.Equal(new EventSubscription("webhook:a", cursor, s_t0), taken);
        Assert.False(await store.SaveSubscriptionAsync("webhook:a", "node-1", null, s_t0.AddSeconds(90), ct));

        // A graceful stop releases at once.
        await store.ReleaseSubscriptionAsync("webhook:a", "node-2", ct);
        Assert.Equal(cursor, (await store.ClaimSubscriptionAsync("webhook:a", "node-3", s_t0.AddSeconds(52), lease, ct))?.Cursor);
    }
}
