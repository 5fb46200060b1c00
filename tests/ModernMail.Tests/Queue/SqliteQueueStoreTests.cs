using System.Net.Mail;
using Microsoft.Data.Sqlite;
using ModernMail.Delivery;
using ModernMail.Queue;
using ModernMail.Queue.Internal;
using Xunit;

namespace ModernMail.Tests.Queue;

public sealed class SqliteQueueStoreTests : IDisposable
{
    private static readonly DateTimeOffset s_t0 = new(2026, 3, 1, 12, 0, 0, TimeSpan.Zero);
    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-store-" + Guid.NewGuid().ToString("N"));

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        try { Directory.Delete(_directory, recursive: true); } catch (IOException) { }
    }

    private static QueueEntry Entry(string id, string? sender, params string[] recipients)
        => new(id, new Envelope(sender is null ? null : new MailAddress(sender), recipients.Select(r => new MailAddress(r)).ToList()), s_t0, s_t0.AddDays(5));

    [Fact]
    public async Task Enqueue_ThenReopen_RoundTripsBytesAndRecipients()
    {
        byte[] body = new byte[300_000];
        new Random(3).NextBytes(body);
        await using (var store = new SqliteQueueStore(_directory))
        {
            await store.InitializeAsync(Ct);
            await store.EnqueueAsync(Entry("m1", "sender@sender.test", "a@a.test", "b@b.test"), new MemoryStream(body), Ct);
        }
        SqliteConnection.ClearAllPools();

        await using var reopened = new SqliteQueueStore(Path.Combine(_directory, "queue.db"));
        await reopened.InitializeAsync(Ct);
        var status = await reopened.GetAsync("m1", Ct);
        Assert.NotNull(status);
        Assert.Equal("sender@sender.test", status.Sender);
        Assert.Equal(body.Length, status.Size);
        Assert.Equal(s_t0, status.CreatedAt);
        Assert.Equal(["a@a.test", "b@b.test"], status.Recipients.Select(r => r.Address));
        Assert.All(status.Recipients, r => Assert.Equal(RecipientState.Queued, r.State));
        await using var stream = await reopened.OpenMessageAsync("m1", Ct);
        var copy = new MemoryStream();
        await stream.CopyToAsync(copy, Ct);
        Assert.Equal(body, copy.ToArray());
        Assert.Null(await reopened.GetAsync("nope", Ct));
    }

    [Fact]
    public async Task Database_IsWalWithFullSync()
    {
        await using var store = new SqliteQueueStore(_directory);
        await store.InitializeAsync(Ct);
        using var connection = new SqliteConnection("Data Source=" + store.Path);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        Assert.Equal("wal", (string?)command.ExecuteScalar());
    }

    [Fact]
    public async Task Lease_IsExclusiveUntilItExpires_ThenAnotherWorkerTakesOver()
    {
        await using var store = new SqliteQueueStore(_directory);
        await store.InitializeAsync(Ct);
        await store.EnqueueAsync(Entry("m1", "s@sender.test", "a@a.test"), new MemoryStream("x"u8.ToArray()), Ct);
        var lease = TimeSpan.FromSeconds(60);

        var first = await store.LeaseAsync("worker-1", s_t0, lease, 10, Ct);
        var second = await store.LeaseAsync("worker-2", s_t0.AddSeconds(59), lease, 10, Ct);

        Assert.Equal("m1", Assert.Single(first).Id);
        Assert.Empty(second);
        var status = (await store.GetAsync("m1", Ct))!;
        Assert.Equal("worker-1", status.LeaseOwner);
        Assert.Equal(RecipientState.Delivering, status.Recipients[0].State);

        // worker-1 "crashes": after the lease runs out the message is due again, with its recipient still marked delivering.
        var takeover = await store.LeaseAsync("worker-2", s_t0.AddSeconds(61), lease, 10, Ct);
        var taken = Assert.Single(takeover);
        Assert.Equal("a@a.test", Assert.Single(taken.Recipients).Address);
        Assert.Equal("worker-2", (await store.GetAsync("m1", Ct))!.LeaseOwner);
    }

    [Fact]
    public async Task Renew_KeepsLease_Release_ReturnsRecipientsToQueue()
    {
        await using var store = new SqliteQueueStore(_directory);
        await store.InitializeAsync(Ct);
        await store.EnqueueAsync(Entry("m1", "s@sender.test", "a@a.test"), new MemoryStream("x"u8.ToArray()), Ct);
        await store.LeaseAsync("w1", s_t0, TimeSpan.FromSeconds(60), 10, Ct);

        await store.RenewLeasesAsync("w1", s_t0.AddSeconds(200), Ct);
        Assert.Empty(await store.LeaseAsync("w2", s_t0.AddSeconds(120), TimeSpan.FromSeconds(60), 10, Ct));

        await store.ReleaseLeasesAsync("w1", Ct);
        var status = (await store.GetAsync("m1", Ct))!;
        Assert.Null(status.LeaseOwner);
        Assert.Equal(RecipientState.Queued, status.Recipients[0].State);
        Assert.Single(await store.LeaseAsync("w2", s_t0.AddSeconds(121), TimeSpan.FromSeconds(60), 10, Ct));
    }

    [Fact]
    public async Task Complete_StoresOutcomesAndBounceAtomically_ThenPurgeAndRetry()
    {
        await using var store = new SqliteQueueStore(_directory);
        await store.InitializeAsync(Ct);
        await store.EnqueueAsync(Entry("m1", "s@sender.test", "a@a.test", "b@a.test"), new MemoryStream("x"u8.ToArray()), Ct);
        var lease = Assert.Single(await store.LeaseAsync("w1", s_t0, TimeSpan.FromSeconds(60), 10, Ct));
        var later = s_t0.AddMinutes(5);
        var bounce = new QueuedBounce(Entry("b1", null, "s@sender.test"), "bounce"u8.ToArray());

        await store.CompleteAsync(lease,
            [new RecipientOutcome(0, RecipientState.Bounced, 1, null, "550 5.1.1 no"), new RecipientOutcome(1, RecipientState.Deferred, 1, later, "450 4.2.0 later")],
            bounce, s_t0, Ct);

        var status = (await store.GetAsync("m1", Ct))!;
        Assert.Null(status.LeaseOwner);
        Assert.Equal(RecipientState.Bounced, status.Recipients[0].State);
        Assert.Null(status.Recipients[0].NextAttemptAt);
        Assert.Equal(RecipientState.Deferred, status.Recipients[1].State);
        Assert.Equal(later, status.Recipients[1].NextAttemptAt);
        Assert.Equal("450 4.2.0 later", status.Recipients[1].LastReply);
        Assert.Null((await store.GetAsync("b1", Ct))!.Sender);
        Assert.Equal(s_t0, await store.GetNextDueAsync(Ct)); // the bounce is due now

        Assert.True(await store.RetryNowAsync("m1", s_t0.AddSeconds(1), Ct));
        Assert.False(await store.RetryNowAsync("missing", s_t0, Ct));
        var due = await store.LeaseAsync("w1", s_t0.AddSeconds(1), TimeSpan.FromSeconds(60), 10, Ct);
        Assert.Equal(["b1", "m1"], due.Select(l => l.Id).Order());
        var retried = due.Single(l => l.Id == "m1");
        Assert.Equal([1], retried.Recipients.Select(r => r.Index));
        Assert.Equal(1, retried.Recipients[0].Attempts);
        await store.CompleteAsync(retried, [new RecipientOutcome(1, RecipientState.Delivered, 2, null, "250 ok")], null, s_t0.AddSeconds(2), Ct);

        Assert.True((await store.GetAsync("m1", Ct))!.IsComplete);
        await Assert.ThrowsAsync<QueueStoreException>(() => store.OpenMessageAsync("m1", Ct)); // body freed once complete
        Assert.Equal(["b1"], (await store.ListAsync(pendingOnly: true, 100, Ct)).Select(m => m.Id));
        Assert.Equal(1, await store.PurgeAsync(includePending: false, Ct));
        Assert.Null(await store.GetAsync("m1", Ct));
        Assert.Equal(1, await store.PurgeAsync(includePending: true, Ct));
        Assert.Empty(await store.ListAsync(pendingOnly: false, 100, Ct));
    }

    [Fact]
    public async Task CorruptDatabaseFile_GivesClearError()
    {
        Directory.CreateDirectory(_directory);
        string file = Path.Combine(_directory, "queue.db");
        var garbage = new byte[8192];
        new Random(1).NextBytes(garbage);
        await File.WriteAllBytesAsync(file, garbage, Ct);
        await using var store = new SqliteQueueStore(_directory);

        var ex = await Assert.ThrowsAsync<QueueStoreException>(() => store.InitializeAsync(Ct));

        Assert.Contains("corrupt or not a SQLite database", ex.Message);
        Assert.Contains(file, ex.Message);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task CorruptPage_InExistingDatabase_IsDetectedAtStartup()
    {
        string file = Path.Combine(_directory, "queue.db");
        await using (var store = new SqliteQueueStore(_directory))
        {
            await store.InitializeAsync(Ct);
            for (int i = 0; i < 50; i++)
            {
                await store.EnqueueAsync(Entry("m" + i, "s@sender.test", "a@a.test"), new MemoryStream(new byte[5000]), Ct);
            }
        }
        SqliteConnection.ClearAllPools();
        using (var checkpoint = new SqliteConnection("Data Source=" + file))
        {
            checkpoint.Open();
            using var command = checkpoint.CreateCommand();
            command.CommandText = "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA journal_mode=DELETE;";
            command.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();
        // Scribble over the middle of the file (page 3 onwards): the header stays valid, the b-tree pages do not.
        await using (var stream = new FileStream(file, FileMode.Open, FileAccess.Write))
        {
            stream.Position = 4096 * 2;
            stream.Write(Enumerable.Repeat((byte)0xA5, 4096 * 4).ToArray());
        }
        await using var reopened = new SqliteQueueStore(_directory);

        var ex = await Assert.ThrowsAsync<QueueStoreException>(() => reopened.InitializeAsync(Ct));

        Assert.Contains("corrupt", ex.Message);
        Assert.DoesNotContain('\n', ex.Message); // one line for the operator, however many pages are broken
        Assert.True(ex.Message.Length < 800, ex.Message);
    }

    [Fact]
    public async Task DatabaseWithBodiesInline_IsMigrated_AndItsPendingMessageStillDelivers()
    {
        // The schema written before bodies moved to mm_bodies: a pending message with its bytes in mm_messages.body.
        Directory.CreateDirectory(_directory);
        string file = Path.Combine(_directory, "queue.db");
        byte[] message = "Subject: old\r\n\r\nwritten by an older version\r\n"u8.ToArray();
        using (var old = new SqliteConnection("Data Source=" + file))
        {
            old.Open();
            using var command = old.CreateCommand();
            command.CommandText = """
                PRAGMA journal_mode = WAL;
                CREATE TABLE mm_messages (id TEXT NOT NULL PRIMARY KEY, sender TEXT NULL, size INTEGER NOT NULL, created_at INTEGER NOT NULL,
                    expires_at INTEGER NOT NULL, next_attempt_at INTEGER NULL, lease_owner TEXT NULL, lease_until INTEGER NULL, body BLOB NULL);
                CREATE TABLE mm_recipients (message_id TEXT NOT NULL, idx INTEGER NOT NULL, address TEXT NOT NULL, state INTEGER NOT NULL,
                    attempts INTEGER NOT NULL, next_attempt_at INTEGER NULL, last_reply TEXT NULL, updated_at INTEGER NOT NULL, PRIMARY KEY (message_id, idx));
                INSERT INTO mm_messages VALUES ('old1', 's@sender.test', @size, 1772366400, 1772798400, 1772366400, NULL, NULL, @body);
                INSERT INTO mm_messages VALUES ('done1', 's@sender.test', 3, 1772366400, 1772798400, NULL, NULL, NULL, NULL);
                INSERT INTO mm_recipients VALUES ('old1', 0, 'a@a.test', 0, 0, 1772366400, NULL, 1772366400);
                INSERT INTO mm_recipients VALUES ('done1', 0, 'b@a.test', 2, 1, NULL, '250 ok', 1772366400);
                """;
            command.Parameters.AddWithValue("@size", message.Length);
            command.Parameters.AddWithValue("@body", message);
            command.ExecuteNonQuery();
        }
        SqliteConnection.ClearAllPools();

        await using var store = new SqliteQueueStore(_directory);
        await store.InitializeAsync(Ct);
        var leases = await store.LeaseAsync("w1", s_t0.AddDays(1), TimeSpan.FromMinutes(1), 10, Ct);
        await using var body = await store.OpenMessageAsync("old1", Ct);
        using var copy = new MemoryStream();
        await body.CopyToAsync(copy, Ct);

        Assert.Equal(["old1"], leases.Select(l => l.Id));
        Assert.Equal(message, copy.ToArray());
        Assert.True((await store.GetAsync("done1", Ct))!.IsComplete);
    }

    [Fact]
    public void IntegrityReport_IsSummarisedToTheFirstProblemsAndACount()
    {
        var problems = Enumerable.Range(1, 25).Select(i => $"Tree {i} page {i * 7}: btreeInitPage() returns error code 11").ToList();

        string summary = SqliteQueueCore.SummarizeIntegrityCheck(problems);

        Assert.StartsWith("Tree 1 page 7", summary);
        Assert.Contains("Tree 3 page 21", summary);
        Assert.DoesNotContain("Tree 4 ", summary);
        Assert.EndsWith("and 22 more problem(s)", summary);
    }

    [Fact]
    public void PathThroughARegularFile_IsOneStoreErrorNamingTheFile()
    {
        Directory.CreateDirectory(_directory);
        string file = Path.Combine(_directory, "not-a-dir");
        File.WriteAllText(file, "x");

        var ex = Assert.Throws<QueueStoreException>(() => new SqliteQueueStore(Path.Combine(file, "sub", "q.db")));

        Assert.Contains($"'{file}' is a file, not a directory", ex.Message);
        Assert.False(ex.IsTransient);
    }

    [Fact]
    public async Task LockedDatabase_EnqueueFailsWithClearError_AndStoresNothing()
    {
        await using var store = new SqliteQueueStore(_directory, busyTimeout: TimeSpan.FromSeconds(1));
        await store.InitializeAsync(Ct);
        using (var holder = new SqliteConnection("Data Source=" + store.Path + ";Pooling=False"))
        {
            holder.Open();
            using var begin = holder.CreateCommand();
            begin.CommandText = "BEGIN EXCLUSIVE";
            begin.ExecuteNonQuery();

            var ex = await Assert.ThrowsAsync<QueueStoreException>(
                () => store.EnqueueAsync(Entry("m1", "s@sender.test", "a@a.test"), new MemoryStream("x"u8.ToArray()), Ct));

            Assert.Contains("locked", ex.Message);
            Assert.True(ex.IsTransient);
        }
        Assert.Null(await store.GetAsync("m1", Ct));
    }

    [Fact]
    public async Task GroupCommit_ConcurrentEnqueues_AllStored_AndOneBadWriteFailsAlone()
    {
        await using var store = new SqliteQueueStore(_directory);
        await store.InitializeAsync(Ct);
        await store.EnqueueAsync(Entry("dup", "s@sender.test", "a@a.test"), new MemoryStream("first"u8.ToArray()), Ct);

        // 200 concurrent enqueues plus one with an id that already exists: they share transactions, only the duplicate fails.
        var writes = Enumerable.Range(0, 200)
            .Select(i => store.EnqueueAsync(Entry("m" + i, "s@sender.test", $"r{i}@a.test"), new NonSeekableStream(System.Text.Encoding.ASCII.GetBytes("body " + i)), Ct))
            .Append(store.EnqueueAsync(Entry("dup", "s@sender.test", "b@a.test"), new MemoryStream("second"u8.ToArray()), Ct))
            .ToList();
        var outcome = await Task.WhenAll(writes.Select(async w => { try { await w; return null; } catch (QueueStoreException ex) { return ex; } }));

        Assert.Single(outcome, e => e is not null);
        Assert.Equal(201, (await store.ListAsync(pendingOnly: false, 1000, Ct)).Count);
        for (int i = 0; i < 200; i += 37)
        {
            await using var body = await store.OpenMessageAsync("m" + i, Ct);
            Assert.Equal("body " + i, new StreamReader(body).ReadToEnd());
        }
        await using var first = await store.OpenMessageAsync("dup", Ct);
        Assert.Equal("first", new StreamReader(first).ReadToEnd());
        Assert.Equal("a@a.test", (await store.GetAsync("dup", Ct))!.Recipients.Single().Address);
    }

    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }

    [Fact]
    public void Factory_ParsesSqliteAndRejectsUnknownSchemes()
    {
        var store = Assert.IsType<SqliteQueueStore>(QueueStoreFactory.Create("sqlite:" + Path.Combine(_directory, "q.sqlite")));
        Assert.Equal(Path.Combine(_directory, "q.sqlite"), store.Path);
        var bare = Assert.IsType<SqliteQueueStore>(QueueStoreFactory.Create(_directory));
        Assert.Equal(Path.Combine(_directory, "queue.db"), bare.Path);
        Assert.Throws<ArgumentException>(() => QueueStoreFactory.Create("mongo:whatever"));
        Assert.Contains("QueueOptions.StoreFactory", Assert.Throws<ArgumentException>(() => QueueStoreFactory.Create("postgres:Host=db")).Message);
    }

    [Fact]
    public async Task StoreFactory_IsUsedInsteadOfTheStoreString()
    {
        var store = new SqliteQueueStore(Path.Combine(_directory, "own.db"));
        await using var queue = new MailQueue(new QueueOptions { Store = "bogus:never-parsed", StoreFactory = () => store });

        Assert.Same(store, queue.Store);
        Assert.Empty(await queue.ListAsync(cancellationToken: TestContext.Current.CancellationToken));
        Assert.True(File.Exists(Path.Combine(_directory, "own.db")));
        Assert.Throws<ArgumentException>(() => new MailQueue(new QueueOptions { StoreFactory = () => null! }));
    }
}
