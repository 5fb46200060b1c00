using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ModernMail.Queue;
using ModernMail.Server.Http;
using ModernMail.Server.Idempotency;
using ModernMail.Server.Storage;
using ModernMail.Server.Submission;
using Xunit;

namespace ModernMail.Tests.Server;

/// <summary>The window between the queue's commit and the idempotency record: a retry after the process died there must get
/// the 202 the first request would have had, with the same id, and the message must be queued once.</summary>
public sealed class IdempotencyResumeTests : IAsyncDisposable
{
    private const string Body = """{"from":"app@example.com","to":["a@example.net","b@example.net"],"subject":"once","text":"only once"}""";
    private const string Batch = """{"messages":[{"from":"app@example.com","to":["a@example.net"],"text":"1"},{"from":"app@example.com","to":["b@example.net"],"text":"2"}]}""";

    private static readonly StoredApiKey s_key = new("key1", "app", [1], [], DateTimeOffset.UnixEpoch, null);

    private readonly string _directory = Path.Combine(Path.GetTempPath(), "mm-idem-" + Guid.NewGuid().ToString("N"));
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero));
    private readonly SqliteServerStore _store;
    private readonly SubmissionQueue _queue;
    private readonly MessageSubmitter _submitter;

    public IdempotencyResumeTests()
    {
        _store = new SqliteServerStore(_directory);
        _queue = new SubmissionQueue(new SqliteQueueStore(Path.Combine(_directory, "queue.db")), new QueueOptions { HostName = "mx.example.com", TimeProvider = _time }, []);
        _submitter = new MessageSubmitter(_queue, _store, NullLogger<MessageSubmitter>.Instance);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync()
    {
        await _queue.DisposeAsync();
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task RetryAfterCrashBetweenCommitAndRecord_Gets202WithTheSameId_AndQueuesOnce()
    {
        await _store.InitializeAsync(Ct);
        // What a process that died after the queue's commit leaves: an open claim it owned, and the message under the claim's id.
        DateTimeOffset claimedAt = _time.GetUtcNow();
        Assert.Null(await _store.TryClaimIdempotencyAsync(s_key.Id, "order-17", Hash("/v1/messages", Body), claimedAt, claimedAt.AddDays(-1), "dead-process", Ct));
        string queuedBeforeCrash = (await _submitter.SubmitAsync(s_key, Encoding.UTF8.GetBytes(Body), "", new IdempotentIds(s_key.Id, "order-17", claimedAt).For(0), Ct)).Body is var first
            ? JsonDocument.Parse(first).RootElement.GetProperty("id").GetString()!
            : "";
        _time.Advance(TimeSpan.FromSeconds(30));

        var restarted = new IdempotencyGate(_store, _time);
        var retry = Request("/v1/messages", "order-17");
        ApiOutcome outcome = await restarted.RunAsync(retry, s_key, Encoding.UTF8.GetBytes(Body), ids => _submitter.SubmitAsync(s_key, Encoding.UTF8.GetBytes(Body), "", ids?.For(0), Ct));

        Assert.Equal(202, outcome.Status);
        using var answer = JsonDocument.Parse(outcome.Body);
        Assert.Equal(queuedBeforeCrash, answer.RootElement.GetProperty("id").GetString());
        Assert.Equal(["a@example.net", "b@example.net"], answer.RootElement.GetProperty("recipients").EnumerateArray().Select(r => r.GetProperty("email").GetString()));
        Assert.Single(await _queue.WorkerQueue.ListAsync(pendingOnly: false, 100, Ct));

        // The answer is now recorded: the next retry is a replay, not a third run.
        var again = Request("/v1/messages", "order-17");
        ApiOutcome replay = await restarted.RunAsync(again, s_key, Encoding.UTF8.GetBytes(Body), _ => throw new InvalidOperationException("must not run"));
        Assert.Equal(202, replay.Status);
        Assert.Equal(outcome.Body, replay.Body);
        Assert.Equal("true", again.Response.Headers["Idempotent-Replayed"].ToString());
    }

    [Fact]
    public async Task BatchResumedAfterCrashHalfwayThrough_QueuesOnlyTheMissingMessages()
    {
        await _store.InitializeAsync(Ct);
        DateTimeOffset claimedAt = _time.GetUtcNow();
        Assert.Null(await _store.TryClaimIdempotencyAsync(s_key.Id, "batch-1", Hash("/v1/messages/batch", Batch), claimedAt, claimedAt.AddDays(-1), "dead-process", Ct));
        var ids = new IdempotentIds(s_key.Id, "batch-1", claimedAt);
        using var batch = JsonDocument.Parse(Batch);
        await _submitter.SubmitAsync(s_key, batch.RootElement.GetProperty("messages")[0], "messages[0].", ids.For(0), Ct); // then the process died

        var restarted = new IdempotencyGate(_store, _time);
        ApiOutcome outcome = await restarted.RunAsync(Request("/v1/messages/batch", "batch-1"), s_key, Encoding.UTF8.GetBytes(Batch), async resumed =>
        {
            var results = new List<string>();
            for (int i = 0; i < 2; i++)
            {
                var one = await _submitter.SubmitAsync(s_key, batch.RootElement.GetProperty("messages")[i], $"messages[{i}].", resumed?.For(i), Ct);
                results.Add(JsonDocument.Parse(one.Body).RootElement.GetProperty("id").GetString()!);
            }
            return ApiOutcome.Json(200, results);
        });

        Assert.Equal(200, outcome.Status);
        var queued = await _queue.WorkerQueue.ListAsync(pendingOnly: false, 100, Ct);
        Assert.Equal(2, queued.Count);
        Assert.Equal([ids.For(0), ids.For(1)], JsonSerializer.Deserialize<string[]>(outcome.Body)!);
        Assert.Equal(queued.Select(m => m.Id).Order(StringComparer.Ordinal), new[] { ids.For(0), ids.For(1) }.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task RetryWhileTheFirstRequestRunsInThisProcess_Is409_AndOnlyOneRetryResumesADeadClaim()
    {
        await _store.InitializeAsync(Ct);
        var gate = new IdempotencyGate(_store, _time);
        var release = new TaskCompletionSource();
        Task<ApiOutcome> first = gate.RunAsync(Request("/v1/messages", "slow"), s_key, Encoding.UTF8.GetBytes(Body), async _ =>
        {
            await release.Task;
            return ApiOutcome.Json(202, new { id = "x" });
        });
        ApiOutcome concurrent = await gate.RunAsync(Request("/v1/messages", "slow"), s_key, Encoding.UTF8.GetBytes(Body), _ => throw new InvalidOperationException("must not run"));
        Assert.Equal(409, concurrent.Status);
        release.SetResult();
        Assert.Equal(202, (await first).Status);

        // A dead process's claim is taken over by exactly one of two retries.
        DateTimeOffset now = _time.GetUtcNow();
        await _store.TryClaimIdempotencyAsync(s_key.Id, "dead", [7], now, now.AddDays(-1), "dead-process", Ct);
        Assert.True(await _store.TryTakeOverIdempotencyAsync(s_key.Id, "dead", "dead-process", "retry-1", Ct));
        Assert.False(await _store.TryTakeOverIdempotencyAsync(s_key.Id, "dead", "dead-process", "retry-2", Ct));
    }

    [Fact]
    public void Ids_AreUuidV7_WithTheClaimTime_AndDifferPerMessageAndKey()
    {
        var at = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
        var ids = new IdempotentIds("key1", "k", at);
        Guid guid = Guid.ParseExact(ids.For(0), "N");
        Assert.Equal(7, guid.Version);
        Assert.Equal(ids.For(0), new IdempotentIds("key1", "k", at).For(0));
        Assert.NotEqual(ids.For(0), ids.For(1));
        Assert.NotEqual(ids.For(0), new IdempotentIds("key2", "k", at).For(0));
        // The same layout as the queue's own ids: time-ordered, so list cursors keep submission order.
        Assert.Equal(Guid.CreateVersion7(at).ToString("N")[..12], ids.For(0)[..12]);
    }

    [Fact]
    public async Task VersionOneDatabase_IsMigrated_AndKeepsItsRecords()
    {
        Directory.CreateDirectory(_directory);
        string path = Path.Combine(_directory, "server.db");
        await using (var old = new SqliteConnection($"Data Source={path}"))
        {
            await old.OpenAsync(Ct);
            using var create = old.CreateCommand();
            create.CommandText = """
                CREATE TABLE idempotency (key_id TEXT NOT NULL, idem_key TEXT NOT NULL, request_hash BLOB NOT NULL, status INTEGER NOT NULL,
                    body BLOB NOT NULL, created_at INTEGER NOT NULL, PRIMARY KEY (key_id, idem_key));
                INSERT INTO idempotency VALUES ('k', 'open', x'01', 0, x'', 1764590400000);
                PRAGMA user_version = 1;
                """;
            await create.ExecuteNonQueryAsync(Ct);
        }
        SqliteConnection.ClearAllPools();

        await _store.InitializeAsync(Ct);
        var at = DateTimeOffset.FromUnixTimeMilliseconds(1764590400000);
        var record = await _store.TryClaimIdempotencyAsync("k", "open", [1], at, at.AddDays(-1), "new-process", Ct);
        Assert.True(record?.InProgress);
        Assert.Equal("", record?.Owner); // a claim from before the upgrade belongs to no running process
        Assert.True(await _store.TryTakeOverIdempotencyAsync("k", "open", "", "new-process", Ct));
    }

    private static DefaultHttpContext Request(string path, string idempotencyKey)
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = path;
        context.Request.Headers[IdempotencyGate.HeaderName] = idempotencyKey;
        return context;
    }

    /// <summary>The request hash the gate computes (method, path, body), for claims the test plants as a dead process would have.</summary>
    private static byte[] Hash(string path, string body) =>
        System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes("POST " + path + "\n" + body));
}
