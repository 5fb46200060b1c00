using System.Data.Common;
using System.Globalization;
using ModernMail.Delivery;

namespace ModernMail.Queue.Internal;

/// <summary>The event stream: every recipient state change writes its mm_events row in the transaction that makes the change.</summary>
internal abstract partial class SqlQueueCore
{
    private const string EventColumns = "e.seq, e.type, e.message_id, e.idx, e.recipient, e.at, e.category, e.reply, e.mx, e.tls, e.annotations, e.sender_domain";

    /// <summary>The columns that order events in commit order, appended to <see cref="EventColumns"/>, and the ORDER BY they need.</summary>
    /// <remarks>SQLite has one writer: sequence order is commit order. PostgreSQL overrides it (several writers commit out of order).</remarks>
    protected virtual string EventOrderColumns => "";

    protected virtual string EventOrderBy => "e.seq";

    /// <summary>Adds the "after this cursor, and safe to hand out" conditions of <see cref="ReadEventsAsync"/>.</summary>
    /// <exception cref="ArgumentException">The cursor is not one this store issued.</exception>
    protected virtual void AddEventCursor(DbCommand command, List<string> where, string? after)
    {
        if (after is null)
        {
            return;
        }
        if (!long.TryParse(after, NumberStyles.None, CultureInfo.InvariantCulture, out long seq))
        {
            throw new ArgumentException($"'{after}' is not an event cursor of this store.", nameof(after));
        }
        where.Add("e.seq > @after");
        Add(command, "after", seq);
    }

    /// <summary>The cursor of the row just read (its order columns start at <paramref name="ordinal"/>).</summary>
    protected virtual string EventCursor(DbDataReader reader, int ordinal) => GetLong(reader, 0).ToString(CultureInfo.InvariantCulture);

    public Task<IReadOnlyList<QueueEvent>> ReadEventsAsync(EventQuery query, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(query);
        ArgumentOutOfRangeException.ThrowIfLessThan(query.Limit, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(query.Limit, 1000);
        return RunAsync<IReadOnlyList<QueueEvent>>("read events", async ct =>
        {
            var connection = await OpenAsync(ct).ConfigureAwait(false);
            await using (connection.ConfigureAwait(false))
            {
                using var command = connection.CreateCommand();
                var where = new List<string>();
                AddEventCursor(command, where, query.After);
                if (query.Type is { } type)
                {
                    where.Add("e.type = @type");
                    Add(command, "type", (int)type);
                }
                if (query.MessageId is { } messageId)
                {
                    where.Add("e.message_id = @message");
                    Add(command, "message", messageId);
                }
                Add(command, "limit", query.Limit);
                command.CommandText = "SELECT " + EventColumns + EventOrderColumns + " FROM mm_events e" +
                    (where.Count > 0 ? " WHERE " + string.Join(" AND ", where) : "") + " ORDER BY " + (query.Newest ? Descending(EventOrderBy) : EventOrderBy) + " LIMIT @limit";
                var events = new List<QueueEvent>();
                var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
                await using (reader.ConfigureAwait(false))
                {
                    while (await reader.ReadAsync(ct).ConfigureAwait(false))
                    {
                        events.Add(new QueueEvent(GetLong(reader, 0).ToString(CultureInfo.InvariantCulture), (QueueEventType)GetInt(reader, 1), reader.GetString(2),
                            reader.GetString(4), FromUnix(GetLong(reader, 5)))
                        {
                            RecipientIndex = GetInt(reader, 3),
                            Category = (BounceCategory)GetInt(reader, 6),
                            Reply = GetNullableString(reader, 7),
                            MxHost = GetNullableString(reader, 8),
                            Tls = GetNullableString(reader, 9),
                            Annotations = GetNullableString(reader, 10),
                            SenderDomain = GetNullableString(reader, 11),
                            Cursor = EventCursor(reader, 12),
                        });
                    }
                }
                if (query.Newest)
                {
                    events.Reverse();
                }
                return events;
            }
        }, cancellationToken);
    }

    /// <summary>"e.txid, e.seq" as "e.txid DESC, e.seq DESC".</summary>
    private static string Descending(string orderBy) => string.Join(", ", orderBy.Split(", ").Select(column => column + " DESC"));

    /// <summary>One event for recipient <paramref name="index"/> of <paramref name="id"/>, with the message's annotations.</summary>
    private static async Task InsertEventAsync(DbConnection connection, DbTransaction transaction, string id, int index, QueueEventType type, long at,
        BounceCategory category, string? reply, string? mx, string? tls, CancellationToken cancellationToken)
    {
        using var command = Command(connection, transaction,
            "INSERT INTO mm_events (type, message_id, idx, recipient, at, category, reply, mx, tls, annotations, sender_domain) " +
            "SELECT @type, r.message_id, r.idx, r.address, @at, @category, @reply, @mx, @tls, m.annotations, m.sender_domain " +
            "FROM mm_recipients r JOIN mm_messages m ON m.id = r.message_id WHERE r.message_id = @id AND r.idx = @idx");
        Add(command, "type", (int)type);
        Add(command, "at", at);
        Add(command, "category", (int)category);
        Add(command, "reply", reply is null ? null : Truncate(reply, 2000));
        Add(command, "mx", mx);
        Add(command, "tls", tls);
        Add(command, "id", id);
        Add(command, "idx", index);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    internal static QueueEventType EventTypeOf(RecipientState state) => state switch
    {
        RecipientState.Delivered => QueueEventType.Delivered,
        RecipientState.Deferred => QueueEventType.Deferred,
        RecipientState.Bounced => QueueEventType.Bounced,
        RecipientState.Expired => QueueEventType.Expired,
        RecipientState.Suppressed => QueueEventType.Suppressed,
        _ => QueueEventType.Queued,
    };

    public Task<bool> RecordFeedbackAsync(RecipientFeedback feedback, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(feedback);
        if (feedback.Type is not (QueueEventType.Unsubscribed or QueueEventType.Complained or QueueEventType.Bounced))
        {
            throw new ArgumentException($"Feedback is an unsubscribe, a complaint or a bounce, not {feedback.Type}.", nameof(feedback));
        }
        return WriteAsync("record feedback", async (connection, transaction, ct) =>
        {
            using (var exists = Command(connection, transaction, "SELECT COUNT(*) FROM mm_recipients WHERE message_id = @id AND idx = @idx"))
            {
                Add(exists, "id", feedback.MessageId);
                Add(exists, "idx", feedback.RecipientIndex);
                if (Convert.ToInt64(await exists.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture) == 0)
                {
                    return false;
                }
            }
            long at = ToUnix(feedback.At);
            await InsertEventAsync(connection, transaction, feedback.MessageId, feedback.RecipientIndex, feedback.Type, at, feedback.Category, feedback.Detail,
                null, null, ct).ConfigureAwait(false);
            if (SuppressionRules.ReasonFor(feedback.Type, feedback.Category) is { } reason)
            {
                await SuppressRecipientAsync(connection, transaction, feedback.MessageId, feedback.RecipientIndex, reason, at, feedback.Detail, ct).ConfigureAwait(false);
            }
            return true;
        }, cancellationToken);
    }
}
