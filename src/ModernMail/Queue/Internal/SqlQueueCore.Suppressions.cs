using System.Data.Common;
using System.Globalization;

namespace ModernMail.Queue.Internal;

/// <summary>The suppression list (mm_suppressions) and where the queue consults it: at enqueue, at lease, and after a hard bounce.</summary>
/// <remarks>Addresses are compared as lower(address) computed by the database on both sides, so the list and the recipients
/// always fold case the same way.</remarks>
internal abstract partial class SqlQueueCore
{
    private const string SuppressedClause =
        "lower(address) IN (SELECT s.address FROM mm_suppressions s WHERE s.scope = @scope OR s.scope = '" + Suppression.GlobalScope + "')";

    public Task AddSuppressionAsync(Suppression suppression, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(suppression);
        ArgumentException.ThrowIfNullOrWhiteSpace(suppression.Address);
        ArgumentException.ThrowIfNullOrWhiteSpace(suppression.Scope);
        return WriteAsync("add suppression", async (connection, transaction, ct) =>
        {
            using var command = Command(connection, transaction,
                "INSERT INTO mm_suppressions (address, scope, reason, created_at, message_id, detail) VALUES (lower(@address), lower(@scope), @reason, @at, @message, @detail) " +
                "ON CONFLICT (address, scope) DO UPDATE SET reason = excluded.reason, created_at = excluded.created_at, message_id = excluded.message_id, detail = excluded.detail");
            Add(command, "address", suppression.Address.Trim());
            Add(command, "scope", suppression.Scope.Trim().TrimEnd('.'));
            Add(command, "reason", (int)suppression.Reason);
            Add(command, "at", ToUnix(suppression.CreatedAt));
            Add(command, "message", suppression.MessageId);
            Add(command, "detail", suppression.Detail is null ? null : Truncate(suppression.Detail, 2000));
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);
    }

    public Task<bool> RemoveSuppressionAsync(string address, string scope, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(address);
        ArgumentException.ThrowIfNullOrWhiteSpace(scope);
        return WriteAsync("remove suppression", async (connection, transaction, ct) =>
        {
            using var command = Command(connection, transaction, "DELETE FROM mm_suppressions WHERE address = lower(@address) AND scope = lower(@scope)");
            Add(command, "address", address.Trim());
            Add(command, "scope", scope.Trim().TrimEnd('.'));
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, cancellationToken);
    }

    public Task<IReadOnlyList<Suppression>> ListSuppressionsAsync(SuppressionQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, 1000);
        return RunAsync<IReadOnlyList<Suppression>>("list suppressions", async ct =>
        {
            var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                using var command = connection.CreateCommand();
                var where = new List<string>();
                if (query.Address is { } address)
                {
                    where.Add("address = lower(@address)");
                    Add(command, "address", address.Trim());
                }
                if (query.Scope is { } scope)
                {
                    where.Add("scope = lower(@scope)");
                    Add(command, "scope", scope.Trim().TrimEnd('.'));
                }
                if (query.After is { } after)
                {
                    int space = after.LastIndexOf(' ');
                    if (space <= 0)
                    {
                        throw new ArgumentException($"'{after}' is not a suppression cursor (\"address scope\").", nameof(query));
                    }
                    where.Add("(address > @after_address OR (address = @after_address AND scope > @after_scope))");
                    Add(command, "after_address", after[..space]);
                    Add(command, "after_scope", after[(space + 1)..]);
                }
                Add(command, "limit", query.Limit);
                command.CommandText = "SELECT address, scope, reason, created_at, message_id, detail FROM mm_suppressions" +
                    (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY address, scope LIMIT @limit";
                var list = new List<Suppression>();
                var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        list.Add(new Suppression(reader.GetString(0), reader.GetString(1), (SuppressionReason)GetInt(reader, 2), FromUnix(GetLong(reader, 3)))
                        {
                            MessageId = GetNullableString(reader, 4),
                            Detail = GetNullableString(reader, 5),
                        });
                    }
                }
                return list;
            }
        }, cancellationToken);
    }

    /// <summary>Suppresses the address of recipient <paramref name="index"/> of <paramref name="id"/> for the message's sender domain.</summary>
    private static async Task SuppressRecipientAsync(DbConnection connection, DbTransaction transaction, string id, int index, SuppressionReason reason, long at,
        string? detail, CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction,
            "INSERT INTO mm_suppressions (address, scope, reason, created_at, message_id, detail) " +
            "SELECT lower(r.address), COALESCE(m.sender_domain, '" + Suppression.GlobalScope + "'), @reason, @at, r.message_id, @detail " +
            "FROM mm_recipients r JOIN mm_messages m ON m.id = r.message_id WHERE r.message_id = @id AND r.idx = @idx " +
            "ON CONFLICT (address, scope) DO NOTHING");
        Add(command, "reason", (int)reason);
        Add(command, "at", at);
        Add(command, "detail", detail is null ? null : Truncate(detail, 2000));
        Add(command, "id", id);
        Add(command, "idx", index);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Marks the new message's suppressed recipients, writes every recipient's first event, and returns their states.</summary>
    private async Task<IReadOnlyList<RecipientState>> SuppressAtEnqueueAsync(DbConnection connection, DbTransaction transaction, QueueEntry entry, CancellationToken cancellationToken)
    {
        var states = new RecipientState[entry.Envelope.Recipients.Count];
        long at = ToUnix(entry.CreatedAt);
        int suppressed = 0;
        using (var command = Command(connection, transaction,
            "UPDATE mm_recipients SET state = 6, next_attempt_at = NULL WHERE message_id = @id AND " + SuppressedClause + " RETURNING idx"))
        {
            Add(command, "id", entry.Id);
            Add(command, "scope", entry.SuppressionScope ?? Suppression.GlobalScope);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    states[GetInt(reader, 0)] = RecipientState.Suppressed;
                    suppressed++;
                }
            }
        }
        using (var command = Command(connection, transaction,
            "INSERT INTO mm_events (type, message_id, idx, recipient, at, category, annotations, sender_domain) " +
            "SELECT CASE WHEN state = 6 THEN " + (int)QueueEventType.Suppressed + " ELSE " + (int)QueueEventType.Queued + " END, message_id, idx, address, @at, 0, @annotations, @domain " +
            "FROM mm_recipients WHERE message_id = @id ORDER BY idx"))
        {
            Add(command, "id", entry.Id);
            Add(command, "at", at);
            Add(command, "annotations", entry.Annotations);
            Add(command, "domain", entry.SuppressionScope);
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        if (suppressed > 0)
        {
            await RecomputeAsync(connection, transaction, entry.Id, owner: null, cancellationToken).ConfigureAwait(false);
        }
        return states;
    }

    /// <summary>Whether the suppression list has any entry at all: when it has none, leasing skips the per-message check.</summary>
    private static async Task<bool> AnySuppressionsAsync(DbConnection connection, DbTransaction transaction, CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction, "SELECT COUNT(*) FROM (SELECT 1 FROM mm_suppressions LIMIT 1) s");
        return Convert.ToInt64(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false), CultureInfo.InvariantCulture) > 0;
    }

    /// <summary>Marks the due recipients of a leased message that were suppressed since it was queued, with their events.</summary>
    private static async Task SuppressDueAsync(DbConnection connection, DbTransaction transaction, string id, string? scope, long now, CancellationToken cancellationToken)
    {
        var indexes = new List<int>();
        using (var command = Command(connection, transaction,
            "UPDATE mm_recipients SET state = 6, next_attempt_at = NULL, updated_at = @now WHERE message_id = @id AND state IN " + PendingStates +
            " AND next_attempt_at <= @now AND " + SuppressedClause + " RETURNING idx"))
        {
            Add(command, "id", id);
            Add(command, "now", now);
            Add(command, "scope", scope ?? Suppression.GlobalScope);
            var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    indexes.Add(GetInt(reader, 0));
                }
            }
        }
        foreach (int index in indexes)
        {
            await InsertEventAsync(connection, transaction, id, index, QueueEventType.Suppressed, now, Delivery.BounceCategory.None, null, null, null, cancellationToken).ConfigureAwait(false);
        }
    }
}
