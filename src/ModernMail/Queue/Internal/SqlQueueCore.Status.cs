using System.Data.Common;
using System.Globalization;

namespace ModernMail.Queue.Internal;

/// <summary>Status, listing, retry-now and purge for operators.</summary>
internal abstract partial class SqlQueueCore
{
    public Task<QueuedMessage?> GetAsync(string id, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return RunAsync("read status", async ct =>
        {
            var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                var list = await ReadMessagesAsync(connection, "WHERE id = @id", command => Add(command, "id", id), ct).ConfigureAwait(false);
                return list.Count == 0 ? null : await WithHistoryAsync(connection, list[0], ct).ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    public Task<IReadOnlyList<QueuedMessage>> ListAsync(bool pendingOnly, int limit, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        return RunAsync("list", async ct =>
        {
            var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                string where = (pendingOnly ? "WHERE next_attempt_at IS NOT NULL " : "") + "ORDER BY created_at, id LIMIT @limit";
                return await ReadMessagesAsync(connection, where, command => Add(command, "limit", limit), ct).ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    public Task<IReadOnlyList<QueuedMessage>> QueryAsync(QueueQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        return RunAsync("list", async ct =>
        {
            var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                // Only the clauses asked for, so each query stays a plain index range scan on the primary key.
                var where = new List<string>();
                if (query.AfterId is not null)
                {
                    where.Add("id > @after");
                }
                if (query.Since is not null)
                {
                    where.Add("created_at >= @since");
                }
                if (query.State is not null)
                {
                    where.Add("EXISTS (SELECT 1 FROM mm_recipients r WHERE r.message_id = mm_messages.id AND r.state = @state)");
                }
                if (query.Recipient is not null)
                {
                    where.Add("EXISTS (SELECT 1 FROM mm_recipients r WHERE r.message_id = mm_messages.id AND lower(r.address) = @recipient)");
                }
                string sql = (where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where) + " ") + "ORDER BY id LIMIT @limit";
                return await ReadMessagesAsync(connection, sql, command =>
                {
                    Add(command, "limit", query.Limit);
                    if (query.AfterId is { } after)
                    {
                        Add(command, "after", after);
                    }
                    if (query.Since is { } since)
                    {
                        Add(command, "since", ToUnix(since));
                    }
                    if (query.State is { } state)
                    {
                        Add(command, "state", (int)state);
                    }
                    if (query.Recipient is { } recipient)
                    {
                        Add(command, "recipient", recipient.ToLowerInvariant());
                    }
                }, ct).ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    private static async Task<IReadOnlyList<QueuedMessage>> ReadMessagesAsync(DbConnection connection, string where, Action<DbCommand> bind, CancellationToken cancellationToken)
    {
        var heads = new List<(string Id, string? Sender, long Size, long Created, long Expires, string? Owner, long? Until)>();
        using (var command = Command(connection, null, "SELECT id, sender, size, created_at, expires_at, lease_owner, lease_until FROM mm_messages " + where))
        {
            bind(command);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    heads.Add((reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1), GetLong(reader, 2), GetLong(reader, 3), GetLong(reader, 4),
                        reader.IsDBNull(5) ? null : reader.GetString(5), reader.IsDBNull(6) ? null : GetLong(reader, 6)));
                }
            }
        }
        var result = new List<QueuedMessage>(heads.Count);
        using var recipients = Command(connection, null,
            "SELECT idx, address, state, attempts, next_attempt_at, last_reply, updated_at FROM mm_recipients WHERE message_id = @id ORDER BY idx");
        var idParameter = Add(recipients, "id", "");
        foreach (var head in heads)
        {
            idParameter.Value = head.Id;
            var list = new List<QueuedRecipient>();
            var reader = await recipients.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    var state = (RecipientState)GetInt(reader, 2);
                    list.Add(new QueuedRecipient(GetInt(reader, 0), reader.GetString(1), state, GetInt(reader, 3),
                        reader.IsDBNull(4) || state is RecipientState.Delivered or RecipientState.Bounced or RecipientState.Expired or RecipientState.Suppressed ? null : FromUnix(GetLong(reader, 4)),
                        reader.IsDBNull(5) ? null : reader.GetString(5), FromUnix(GetLong(reader, 6))));
                }
            }
            result.Add(new QueuedMessage(head.Id, head.Sender, head.Size, FromUnix(head.Created), FromUnix(head.Expires), head.Owner,
                head.Until is { } until ? FromUnix(until) : null, list));
        }
        return result;
    }

    /// <summary>The message with each recipient's attempt history.</summary>
    private static async Task<QueuedMessage> WithHistoryAsync(DbConnection connection, QueuedMessage message, CancellationToken cancellationToken)
    {
        var history = new Dictionary<int, List<QueuedAttempt>>();
        using (var command = Command(connection, null,
            "SELECT idx, attempt, at, state, mx, tls, tls_policy, reply FROM mm_attempts WHERE message_id = @id ORDER BY idx, attempt"))
        {
            Add(command, "id", message.Id);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    int index = GetInt(reader, 0);
                    if (!history.TryGetValue(index, out var list))
                    {
                        history[index] = list = [];
                    }
                    list.Add(new QueuedAttempt(GetInt(reader, 1), FromUnix(GetLong(reader, 2)), (RecipientState)GetInt(reader, 3),
                        reader.IsDBNull(4) ? null : reader.GetString(4), reader.IsDBNull(5) ? null : reader.GetString(5),
                        (ModernMail.Tls.AppliedTlsPolicy)GetInt(reader, 6), reader.IsDBNull(7) ? null : reader.GetString(7)));
                }
            }
        }
        if (history.Count == 0)
        {
            return message;
        }
        return message with
        {
            Recipients = message.Recipients.Select(r => history.TryGetValue(r.Index, out var h) ? r with { History = h } : r).ToList(),
        };
    }

    public Task<bool> RetryNowAsync(string id, DateTimeOffset now, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return WriteAsync("retry", async (connection, transaction, ct) =>
        {
            using (var exists = Command(connection, transaction, "SELECT COUNT(*) FROM mm_messages WHERE id = @id"))
            {
                Add(exists, "id", id);
                if (Convert.ToInt64(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
                {
                    return false;
                }
            }
            using (var command = Command(connection, transaction, "UPDATE mm_recipients SET next_attempt_at = @now WHERE message_id = @id AND state IN " + PendingStates))
            {
                Add(command, "id", id);
                Add(command, "now", ToUnix(now));
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            using (var command = Command(connection, transaction,
                "UPDATE mm_messages SET next_attempt_at = (SELECT MIN(r.next_attempt_at) FROM mm_recipients r WHERE r.message_id = @id AND r.state IN " + PendingStates + ") WHERE id = @id"))
            {
                Add(command, "id", id);
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            return true;
        }, cancellationToken);
    }

    public Task<int> PurgeAsync(bool includePending, CancellationToken cancellationToken)
    {
        return WriteAsync("purge", async (connection, transaction, ct) =>
        {
            string which = includePending ? "" : " WHERE next_attempt_at IS NULL";
            using (var command = Command(connection, transaction, "DELETE FROM mm_attempts WHERE message_id IN (SELECT id FROM mm_messages" + which + ")"))
            {
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            using (var command = Command(connection, transaction, "DELETE FROM mm_recipients WHERE message_id IN (SELECT id FROM mm_messages" + which + ")"))
            {
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            using (var command = Command(connection, transaction, "DELETE FROM mm_bodies WHERE message_id IN (SELECT id FROM mm_messages" + which + ")"))
            {
                await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            using (var command = Command(connection, transaction, "DELETE FROM mm_messages" + which))
            {
                return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }, cancellationToken);
    }

    public Task<IReadOnlyDictionary<RecipientState, long>> CountPendingAsync(CancellationToken cancellationToken)
    {
        return RunAsync<IReadOnlyDictionary<RecipientState, long>>("count recipients", async ct =>
        {
            var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                // Only messages with something pending (the next_attempt_at index), not the whole history of final recipients.
                using var command = Command(connection, null,
                    "SELECT r.state, COUNT(*) FROM mm_recipients r JOIN mm_messages m ON m.id = r.message_id " +
                    "WHERE m.next_attempt_at IS NOT NULL AND r.state IN " + PendingStates + " GROUP BY r.state");
                var counts = new Dictionary<RecipientState, long>();
                var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        counts[(RecipientState)GetInt(reader, 0)] = GetLong(reader, 1);
                    }
                }
                return counts;
            }
        }, cancellationToken);
    }

    public Task<DateTimeOffset?> GetNextDueAsync(CancellationToken cancellationToken)
    {
        return RunAsync<DateTimeOffset?>("read schedule", async ct =>
        {
            var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                using var command = Command(connection, null,
                    "SELECT MIN(CASE WHEN lease_until IS NOT NULL AND lease_until > next_attempt_at THEN lease_until ELSE next_attempt_at END) " +
                    "FROM mm_messages WHERE next_attempt_at IS NOT NULL");
                object? value = await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
                return value is null or DBNull ? null : FromUnix(Convert.ToInt64(value, CultureInfo.InvariantCulture));
            }
        }, cancellationToken);
    }
}
