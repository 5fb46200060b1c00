namespace ModernMail.Queue.Internal;

/// <summary>Event subscriptions (mm_subscriptions): a cursor into mm_events per reader, held by one owner at a time under a lease,
/// so that several nodes over one database deliver each webhook from one place.</summary>
internal abstract partial class SqlQueueCore
{
    public Task<EventSubscription?> ClaimSubscriptionAsync(string name, string owner, DateTimeOffset now, TimeSpan lease, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lease, TimeSpan.Zero);
        return WriteAsync<EventSubscription?>("claim subscription", async (connection, transaction, ct) =>
        {
            using (var create = Command(connection, transaction,
                "INSERT INTO mm_subscriptions (name, cursor, created_at, owner, lease_until) VALUES (@name, NULL, @now, NULL, 0) ON CONFLICT (name) DO NOTHING"))
            {
                Add(create, "name", name);
                Add(create, "now", ToUnix(now));
                await create.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            using (var claim = Command(connection, transaction,
                "UPDATE mm_subscriptions SET owner = @owner, lease_until = @until WHERE name = @name AND (owner IS NULL OR owner = @owner OR lease_until < @now)"))
            {
                Add(claim, "owner", owner);
                Add(claim, "until", ToUnix(now + lease));
                Add(claim, "name", name);
                Add(claim, "now", ToUnix(now));
                if (await claim.ExecuteNonQueryAsync(ct).ConfigureAwait(false) == 0)
                {
                    return null;
                }
            }
            using var read = Command(connection, transaction, "SELECT cursor, created_at FROM mm_subscriptions WHERE name = @name");
            Add(read, "name", name);
            var reader = await read.ExecuteReaderAsync(ct).ConfigureAwait(false);
            await using (reader.ConfigureAwait(false))
            {
                await reader.ReadAsync(ct).ConfigureAwait(false);
                return new EventSubscription(name, GetNullableString(reader, 0), FromUnix(GetLong(reader, 1)));
            }
        }, cancellationToken);
    }

    public Task<bool> SaveSubscriptionAsync(string name, string owner, string? cursor, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        return WriteAsync("save subscription", async (connection, transaction, ct) =>
        {
            // Two statements rather than COALESCE(@cursor, cursor): PostgreSQL cannot type an untyped NULL parameter everywhere.
            using var command = Command(connection, transaction, cursor is null
                ? "UPDATE mm_subscriptions SET lease_until = @until WHERE name = @name AND owner = @owner"
                : "UPDATE mm_subscriptions SET cursor = @cursor, lease_until = @until WHERE name = @name AND owner = @owner");
            if (cursor is not null)
            {
                Add(command, "cursor", cursor);
            }
            Add(command, "until", ToUnix(leaseUntil));
            Add(command, "name", name);
            Add(command, "owner", owner);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false) > 0;
        }, cancellationToken);
    }

    public Task ReleaseSubscriptionAsync(string name, string owner, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentException.ThrowIfNullOrWhiteSpace(owner);
        return WriteAsync("release subscription", async (connection, transaction, ct) =>
        {
            using var command = Command(connection, transaction, "UPDATE mm_subscriptions SET owner = NULL, lease_until = 0 WHERE name = @name AND owner = @owner");
            Add(command, "name", name);
            Add(command, "owner", owner);
            return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
        }, cancellationToken);
    }
}
