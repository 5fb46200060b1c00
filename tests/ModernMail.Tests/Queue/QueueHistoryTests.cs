using System.Net.Mail;
using Microsoft.Data.Sqlite;
using ModernMail.Delivery;
using ModernMail.Queue;
using ModernMail.Tls;
using Xunit;

namespace ModernMail.Tests.Queue;

/// <summary>The SQLite store keeps every attempt (time, state, MX, TLS, policy, reply) and the REQUIRETLS flag, also in
/// databases written before either existed.</summary>
public sealed class QueueHistoryTests : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 12, 3, 8, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-history-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private static QueueEntry Entry(string id, bool requireTls = false) =>
        new(id, new Envelope(new MailAddress("s@sender.test"), [new MailAddress("a@a.test"), new MailAddress("b@b.test")]) { RequireTls = requireTls },
            s_t0, s_t0.AddDays(5));

    [Fact]
    public async Task EveryAttempt_IsKept_WithMxTlsPolicyAndReply_OldestFirst()
    {
        await using var store = new SqliteQueueStore(_directory);
        await store.InitializeAsync(Ct);
        await store.EnqueueAsync(Entry("m1"), new MemoryStream("Subject: x\r\n\r\nx\r\n"u8.ToArray()), Ct);

        var first = Assert.Single(await store.LeaseAsync("w", s_t0, TimeSpan.FromMinutes(1), 10, Ct));
        await store.CompleteAsync(first,
        [
            new RecipientOutcome(0, RecipientState.Deferred, 1, s_t0.AddMinutes(5), "451 4.7.1 try later") { MxHost = "mx1.a.test", Tls = "Tls13 TLS_AES_256_GCM_SHA384", TlsPolicy = AppliedTlsPolicy.MtaStsEnforce },
            new RecipientOutcome(1, RecipientState.Delivered, 1, null, "250 ok") { MxHost = "mx.b.test" },
        ], null, s_t0.AddSeconds(1), Ct);
        var second = Assert.Single(await store.LeaseAsync("w", s_t0.AddMinutes(5), TimeSpan.FromMinutes(1), 10, Ct));
        Assert.Equal([0], second.Recipients.Select(r => r.Index));
        await store.CompleteAsync(second,
            [new RecipientOutcome(0, RecipientState.Delivered, 2, null, "250 2.0.0 queued") { MxHost = "mx2.a.test", Tls = "Tls12 X", TlsPolicy = AppliedTlsPolicy.Dane }],
            null, s_t0.AddMinutes(5).AddSeconds(1), Ct);

        var status = await store.GetAsync("m1", Ct);
        Assert.NotNull(status);
        var a = status.Recipients[0].History;
        Assert.Equal([1, 2], a.Select(h => h.Number));
        Assert.Equal(new QueuedAttempt(1, s_t0.AddSeconds(1), RecipientState.Deferred, "mx1.a.test", "Tls13 TLS_AES_256_GCM_SHA384", AppliedTlsPolicy.MtaStsEnforce, "451 4.7.1 try later"), a[0]);
        Assert.Equal(new QueuedAttempt(2, s_t0.AddMinutes(5).AddSeconds(1), RecipientState.Delivered, "mx2.a.test", "Tls12 X", AppliedTlsPolicy.Dane, "250 2.0.0 queued"), a[1]);
        var b = Assert.Single(status.Recipients[1].History);
        Assert.Null(b.Tls);
        Assert.Equal(AppliedTlsPolicy.None, b.TlsPolicy);
        // Lists stay light: no history there.
        Assert.All((await store.ListAsync(false, 10, Ct)).Single().Recipients, r => Assert.Empty(r.History));

        Assert.Equal(1, await store.PurgeAsync(includePending: false, Ct));
        Assert.Null(await store.GetAsync("m1", Ct));
    }

    [Fact]
    public async Task RequireTls_SurvivesTheStore_IntoTheLease()
    {
        await using var store = new SqliteQueueStore(_directory);
        await store.InitializeAsync(Ct);
        await store.EnqueueAsync(Entry("tls", requireTls: true), new MemoryStream("x\r\n"u8.ToArray()), Ct);
        await store.EnqueueAsync(Entry("plain"), new MemoryStream("x\r\n"u8.ToArray()), Ct);

        var leases = await store.LeaseAsync("w", s_t0, TimeSpan.FromMinutes(1), 10, Ct);
        Assert.True(leases.Single(l => l.Id == "tls").RequireTls);
        Assert.False(leases.Single(l => l.Id == "plain").RequireTls);
    }

    [Fact]
    public async Task ADatabaseWithoutFlagsOrHistory_IsUpgradedInPlace()
    {
        Directory.CreateDirectory(_directory);
        string path = Path.Combine(_directory, "queue.db");
        await using (var old = new SqliteConnection($"Data Source={path}"))
        {
            await old.OpenAsync(Ct);
            using var create = old.CreateCommand();
            // The schema before flags and mm_attempts, with one queued message in it.
            create.CommandText = """
                CREATE TABLE mm_messages (id TEXT NOT NULL PRIMARY KEY, sender TEXT NULL, size INTEGER NOT NULL, created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL, next_attempt_at INTEGER NULL, lease_owner TEXT NULL, lease_until INTEGER NULL);
                CREATE TABLE mm_bodies (message_id TEXT NOT NULL PRIMARY KEY, body BLOB NOT NULL);
                CREATE TABLE mm_recipients (message_id TEXT NOT NULL, idx INTEGER NOT NULL, address TEXT NOT NULL, state INTEGER NOT NULL,
                    attempts INTEGER NOT NULL, next_attempt_at INTEGER NULL, last_reply TEXT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (message_id, idx));
                INSERT INTO mm_messages VALUES ('old', 's@sender.test', 3, 1796284800000, 1796716800000, 1796284800000, NULL, NULL);
                INSERT INTO mm_bodies VALUES ('old', X'782D0A');
                INSERT INTO mm_recipients VALUES ('old', 0, 'a@a.test', 0, 0, 1796284800000, NULL, 1796284800000);
                """;
            await create.ExecuteNonQueryAsync(Ct);
        }
        SqliteConnection.ClearAllPools();

        await using var store = new SqliteQueueStore(path);
        await store.InitializeAsync(Ct);
        var lease = Assert.Single(await store.LeaseAsync("w", DateTimeOffset.FromUnixTimeMilliseconds(1796284800000), TimeSpan.FromMinutes(1), 10, Ct));
        Assert.False(lease.RequireTls);
        await store.CompleteAsync(lease, [new RecipientOutcome(0, RecipientState.Delivered, 1, null, "250 ok") { MxHost = "mx.a.test" }], null,
            DateTimeOffset.FromUnixTimeMilliseconds(1796284801000), Ct);
        Assert.Equal("mx.a.test", Assert.Single((await store.GetAsync("old", Ct))!.Recipients[0].History).MxHost);
    }

    [Fact]
    public async Task Query_FiltersInTheStore_ByCursorTimeStateAndRecipient()
    {
        await using var store = new SqliteQueueStore(_directory);
        await store.InitializeAsync(Ct);
        for (int i = 0; i < 5; i++)
        {
            var envelope = new Envelope(new MailAddress("s@sender.test"), [new MailAddress($"r{i}@a.test"), new MailAddress("Common@B.test")]);
            await store.EnqueueAsync(new QueueEntry($"m{i}", envelope, s_t0.AddMinutes(i), s_t0.AddDays(5)), new MemoryStream("x\r\n"u8.ToArray()), Ct);
        }
        var lease = (await store.LeaseAsync("w", s_t0.AddMinutes(10), TimeSpan.FromMinutes(1), 10, Ct)).Single(l => l.Id == "m3");
        await store.CompleteAsync(lease, [new RecipientOutcome(0, RecipientState.Delivered, 1, null, "250 ok"), new RecipientOutcome(1, RecipientState.Bounced, 1, null, "550 no")],
            null, s_t0.AddMinutes(10), Ct);
        await store.ReleaseLeasesAsync("w", Ct);

        static string Ids(IReadOnlyList<QueuedMessage> list) => string.Join(",", list.Select(m => m.Id));
        Assert.Equal("m0,m1", Ids(await store.QueryAsync(new QueueQuery(2), Ct)));
        Assert.Equal("m2,m3", Ids(await store.QueryAsync(new QueueQuery(2, AfterId: "m1"), Ct)));
        Assert.Equal("m3,m4", Ids(await store.QueryAsync(new QueueQuery(10, Since: s_t0.AddMinutes(3)), Ct)));
        Assert.Equal("m3", Ids(await store.QueryAsync(new QueueQuery(10, State: RecipientState.Bounced), Ct)));
        Assert.Equal("m2", Ids(await store.QueryAsync(new QueueQuery(10, Recipient: "R2@a.test"), Ct)));
        Assert.Equal(5, (await store.QueryAsync(new QueueQuery(10, Recipient: "common@b.test"), Ct)).Count);
        Assert.Empty(await store.QueryAsync(new QueueQuery(10, State: RecipientState.Expired), Ct));
    }
}
