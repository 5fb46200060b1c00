using System.Net.Mail;
using ModernMail.Delivery;
using ModernMail.PostgreSql;
using ModernMail.Queue;
using ModernMail.Tls;
using Xunit;

namespace ModernMail.IntegrationTests.Queue;

/// <summary>The PostgreSQL store keeps attempt history and the REQUIRETLS flag like the SQLite one.</summary>
public sealed class PostgreSqlHistoryTests
{
    private static readonly DateTimeOffset s_t0 = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AttemptsAndRequireTls_RoundTrip()
    {
        await using var database = await PostgreSqlTestDatabase.CreateAsync();
        await using var store = new PostgreSqlQueueStore(database.ConnectionString);
        await store.InitializeAsync(Ct);
        // Initializing twice (a second node, a restart) must not fail on the added column.
        await store.InitializeAsync(Ct);
        var envelope = new Envelope(new MailAddress("s@sender.test"), [new MailAddress("a@a.test")]) { RequireTls = true };
        await store.EnqueueAsync(new QueueEntry("m1", envelope, s_t0, s_t0.AddDays(1)), new MemoryStream("x\r\n"u8.ToArray()), Ct);

        var lease = Assert.Single(await store.LeaseAsync("w", s_t0, TimeSpan.FromMinutes(1), 10, Ct));
        Assert.True(lease.RequireTls);
        await store.CompleteAsync(lease,
            [new RecipientOutcome(0, RecipientState.Bounced, 1, null, "5.7.30 REQUIRETLS support required") { MxHost = "mx.a.test", Tls = "Tls13 X", TlsPolicy = AppliedTlsPolicy.MtaStsEnforce }],
            null, s_t0.AddSeconds(2), Ct);

        var attempt = Assert.Single((await store.GetAsync("m1", Ct))!.Recipients[0].History);
        Assert.Equal(new QueuedAttempt(1, s_t0.AddSeconds(2), RecipientState.Bounced, "mx.a.test", "Tls13 X", AppliedTlsPolicy.MtaStsEnforce, "5.7.30 REQUIRETLS support required"), attempt);
    }
}
