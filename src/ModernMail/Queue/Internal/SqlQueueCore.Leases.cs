using System.Data.Common;
using ModernMail.Delivery.Internal;

namespace ModernMail.Queue.Internal;

/// <summary>Leasing, reading, completing and renewing messages a worker delivers.</summary>
internal abstract partial class SqlQueueCore
{
    public Task<IReadOnlyList<QueueLease>> LeaseAsync(string owner, DateTimeOffset now, TimeSpan leaseDuration, int maxMessages, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessages, 1);
        var until = now + leaseDuration;
        return WriteAsync<IReadOnlyList<QueueLease>>("lease", async (connection, transaction, ct) =>
        {
            var heads = new List<(string Id, string? Sender, long Created, long Expires, int Flags, string? Domain, string? Trace)>();
            using (var command = Command(connection, transaction,
                "UPDATE mm_messages SET lease_owner = @owner, lease_until = @until WHERE id IN (" +
                "SELECT id FROM mm_messages WHERE next_attempt_at IS NOT NULL AND next_attempt_at <= @now " +
                "AND (lease_until IS NULL OR lease_until < @now) ORDER BY next_attempt_at LIMIT @limit" + LockClause + ") " +
                "RETURNING id, sender, created_at, expires_at, flags, sender_domain, trace_parent"))
            {
                Add(command, "owner", owner);
                Add(command, "until", ToUnix(until));
                Add(command, "now", ToUnix(now));
                Add(command, "limit", maxMessages);
                var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        heads.Add((reader.GetString(0), GetNullableString(reader, 1), GetLong(reader, 2), GetLong(reader, 3), GetInt(reader, 4),
                            GetNullableString(reader, 5), GetNullableString(reader, 6)));
                    }
                }
            }
            var leases = new List<QueueLease>(heads.Count);
            using var recipients = Command(connection, transaction,
                "UPDATE mm_recipients SET state = 1, updated_at = @now WHERE message_id = @id AND state IN " + PendingStates +
                " AND next_attempt_at <= @now RETURNING idx, address, attempts");
            var idParameter = Add(recipients, "id", "");
            Add(recipients, "now", ToUnix(now));
            bool anySuppressed = heads.Count > 0 && await AnySuppressionsAsync(connection, transaction, ct).ConfigureAwait(false);
            foreach (var head in heads)
            {
                if (anySuppressed)
                {
                    await SuppressDueAsync(connection, transaction, head.Id, head.Domain, ToUnix(now), ct).ConfigureAwait(false);
                }
                idParameter.Value = head.Id;
                var list = new List<LeasedRecipient>();
                var reader = await recipients.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        list.Add(new LeasedRecipient(GetInt(reader, 0), reader.GetString(1), GetInt(reader, 2)));
                    }
                }
                list.Sort(static (a, b) => a.Index.CompareTo(b.Index));
                if (list.Count == 0)
                {
                    // Every due recipient was suppressed: nothing to deliver; the message waits for its other recipients, if any.
                    await RecomputeAsync(connection, transaction, head.Id, owner, ct).ConfigureAwait(false);
                    continue;
                }
                leases.Add(new QueueLease(head.Id, head.Sender, FromUnix(head.Created), FromUnix(head.Expires), owner, until, list)
                {
                    RequireTls = ((MessageFlags)head.Flags).HasFlag(MessageFlags.RequireTls),
                    SenderDomain = head.Domain,
                    TraceParent = head.Trace,
                });
            }
            leases.Sort(static (a, b) => a.CreatedAt.CompareTo(b.CreatedAt));
            return leases;
        }, cancellationToken);
    }

    public Task<Stream> OpenMessageAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return RunAsync<Stream>("read message", async ct =>
        {
            // Copied into a spool (memory up to 1 MiB, then a temporary file), not held open on the row: a lease
            // renewal updates the row, which would expire an open SQLite blob handle mid-delivery; memory stays flat.
            var spool = new SpoolStream();
            try
            {
                var connection = await OpenAsync(ct).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    if (!await ReadBodyAsync(connection, id, spool, ct).ConfigureAwait(false))
                    {
                        throw new QueueStoreException($"Queue message {id} has no stored body in {Description} (deleted or already complete).");
                    }
                }
                spool.Position = 0;
                return spool;
            }
            catch
            {
                await spool.DisposeAsync().ConfigureAwait(false);
                throw;
            }
        }, cancellationToken);
    }

    public Task CompleteAsync(QueueLease lease, IReadOnlyList<RecipientOutcome> outcomes, QueuedBounce? bounce, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(lease);
        ArgumentNullException.ThrowIfNull(outcomes);
        return WriteAsync("complete", async (connection, transaction, ct) =>
        {
            long unixNow = ToUnix(now);
            // Only outcomes that changed a recipient get an event: a completion replayed after a retried batch adds none.
            var changed = new List<RecipientOutcome>(outcomes.Count);
            using (var command = Command(connection, transaction,
                "UPDATE mm_recipients SET state = @state, attempts = @attempts, next_attempt_at = @next, last_reply = @reply, updated_at = @now " +
                "WHERE message_id = @id AND idx = @idx AND state NOT IN " + FinalStates))
            {
                Add(command, "id", lease.Id);
                Add(command, "now", unixNow);
                var idx = Add(command, "idx", 0);
                var state = Add(command, "state", 0);
                var attempts = Add(command, "attempts", 0);
                var next = Add(command, "next", 0L);
                var reply = Add(command, "reply", "");
                foreach (var outcome in outcomes)
                {
                    idx.Value = outcome.Index;
                    state.Value = (int)outcome.State;
                    attempts.Value = outcome.Attempts;
                    next.Value = outcome.NextAttemptAt is { } at ? ToUnix(at) : DBNull.Value;
                    reply.Value = outcome.LastReply is { } text ? Truncate(text, 2000) : DBNull.Value;
                    if (await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0)
                    {
                        changed.Add(outcome);
                    }
                }
            }
            foreach (var outcome in changed)
            {
                var type = EventTypeOf(outcome.State);
                await InsertEventAsync(connection, transaction, lease.Id, outcome.Index, type, unixNow, outcome.Category, outcome.LastReply, outcome.MxHost, outcome.Tls, ct)
                    .ConfigureAwait(false);
                if (SuppressionRules.ReasonFor(type, outcome.Category) is { } reason)
                {
                    await SuppressRecipientAsync(connection, transaction, lease.Id, outcome.Index, reason, unixNow, outcome.LastReply, ct).ConfigureAwait(false);
                }
            }
            await InsertAttemptsAsync(connection, transaction, lease.Id, outcomes, unixNow, ct).ConfigureAwait(false);
            await RecomputeAsync(connection, transaction, lease.Id, lease.Owner, ct).ConfigureAwait(false);
            if (bounce is not null)
            {
                var stream = new MemoryStream(bounce.Message.ToArray(), writable: false);
                await using (stream.ConfigureAwait(false))
                {
                    await InsertEntryAsync(connection, transaction, bounce.Entry, stream, ct).ConfigureAwait(false);
                }
            }
            return 0;
        }, cancellationToken);
    }

    /// <summary>The attempt history: one row per recipient and attempt number (a repeated completion of the same attempt, after a
    /// retried batch, replaces its row rather than adding one).</summary>
    private static async Task InsertAttemptsAsync(DbConnection connection, DbTransaction transaction, string id, IReadOnlyList<RecipientOutcome> outcomes, long unixNow,
        CancellationToken cancellationToken)
    {
        using var insert = Command(connection, transaction,
            "INSERT INTO mm_attempts (message_id, idx, attempt, at, state, mx, tls, tls_policy, reply, category) VALUES (@id, @idx, @attempt, @at, @state, @mx, @tls, @policy, @reply, @category) " +
            "ON CONFLICT (message_id, idx, attempt) DO UPDATE SET at = excluded.at, state = excluded.state, mx = excluded.mx, tls = excluded.tls, " +
            "tls_policy = excluded.tls_policy, reply = excluded.reply, category = excluded.category");
        Add(insert, "id", id);
        Add(insert, "at", unixNow);
        var idx = Add(insert, "idx", 0);
        var attempt = Add(insert, "attempt", 0);
        var state = Add(insert, "state", 0);
        var mx = Add(insert, "mx", "");
        var tls = Add(insert, "tls", "");
        var policy = Add(insert, "policy", 0);
        var reply = Add(insert, "reply", "");
        var category = Add(insert, "category", 0);
        foreach (var outcome in outcomes)
        {
            idx.Value = outcome.Index;
            attempt.Value = outcome.Attempts;
            state.Value = (int)outcome.State;
            mx.Value = (object?)outcome.MxHost ?? DBNull.Value;
            tls.Value = (object?)outcome.Tls ?? DBNull.Value;
            policy.Value = (int)outcome.TlsPolicy;
            reply.Value = outcome.LastReply is { } text ? Truncate(text, 2000) : DBNull.Value;
            category.Value = (int)outcome.Category;
            await insert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private static async Task RecomputeAsync(DbConnection connection, DbTransaction transaction, string id, string? owner, CancellationToken cancellationToken)
    {
        using (var command = Command(connection, transaction,
            "UPDATE mm_messages SET next_attempt_at = (SELECT MIN(r.next_attempt_at) FROM mm_recipients r WHERE r.message_id = @id AND r.state IN " + PendingStates + "), " +
            "lease_owner = CASE WHEN lease_owner = @owner THEN NULL ELSE lease_owner END, " +
            "lease_until = CASE WHEN lease_owner = @owner THEN NULL ELSE lease_until END WHERE id = @id"))
        {
            Add(command, "id", id);
            Add(command, "owner", owner ?? "");
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        // A complete message no longer needs its bytes; keep the row for status until purged.
        using (var command = Command(connection, transaction, "DELETE FROM mm_bodies WHERE message_id = @id AND EXISTS (SELECT 1 FROM mm_messages WHERE id = @id AND next_attempt_at IS NULL)"))
        {
            Add(command, "id", id);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task RenewLeasesAsync(string owner, DateTimeOffset until, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return WriteAsync("renew leases", async (connection, transaction, ct) =>
        {
            using var command = Command(connection, transaction, "UPDATE mm_messages SET lease_until = @until WHERE lease_owner = @owner");
            Add(command, "owner", owner);
            Add(command, "until", ToUnix(until));
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    public Task ReleaseLeasesAsync(string owner, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(owner);
        return WriteAsync("release leases", async (connection, transaction, ct) =>
        {
            using (var command = Command(connection, transaction,
                "UPDATE mm_recipients SET state = CASE WHEN attempts = 0 THEN 0 ELSE 3 END WHERE state = 1 AND message_id IN (SELECT id FROM mm_messages WHERE lease_owner = @owner)"))
            {
                Add(command, "owner", owner);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            using (var command = Command(connection, transaction, "UPDATE mm_messages SET lease_owner = NULL, lease_until = NULL WHERE lease_owner = @owner"))
            {
                Add(command, "owner", owner);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return 0;
        }, cancellationToken);
    }
}
