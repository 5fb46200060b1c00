namespace ModernMail.Server.Storage;

/// <summary>The server's own durable state: API keys, idempotency records and what a client attached to a message (tags, metadata).</summary>
/// <remarks>Kept behind this interface so a shared store (PostgreSQL) can serve several server nodes later; <see cref="SqliteServerStore"/>
/// is the single-node implementation. Every method that changes state returns only after the change is committed.</remarks>
public interface IServerStore : IAsyncDisposable
{
    /// <summary>Creates the schema if needed and checks the store is usable.</summary>
    /// <exception cref="ModernMail.Queue.QueueStoreException">The store is corrupt, locked or unreachable.</exception>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>Checks the store answers (for the readiness probe).</summary>
    Task PingAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores a new key; false when an active (not revoked) key already has that name.</summary>
    Task<bool> InsertKeyAsync(StoredApiKey key, CancellationToken cancellationToken = default);

    /// <summary>Finds a key, revoked or not, by its lookup id; null when there is none.</summary>
    Task<StoredApiKey?> FindKeyAsync(string id, CancellationToken cancellationToken = default);

    /// <summary>Lists every key, oldest first.</summary>
    Task<IReadOnlyList<StoredApiKey>> ListKeysAsync(CancellationToken cancellationToken = default);

    /// <summary>Revokes the active key with this name or id; false when there is none.</summary>
    Task<bool> RevokeKeyAsync(string nameOrId, DateTimeOffset revokedAt, CancellationToken cancellationToken = default);

    /// <summary>Claims (<paramref name="keyId"/>, <paramref name="idempotencyKey"/>) for a new request, or returns the record that already holds it.</summary>
    /// <param name="keyId">The API key the idempotency key belongs to (keys are scoped per API key).</param>
    /// <param name="idempotencyKey">The client's Idempotency-Key header.</param>
    /// <param name="requestHash">The SHA-256 of the request (method, path and body).</param>
    /// <param name="now">The time of the request.</param>
    /// <param name="expiredBefore">Records created before this are treated as absent and replaced.</param>
    /// <param name="owner">Who holds a new claim (one value per server process), so a claim left open by a process that died can be told apart.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Null when the claim is new (the caller must <see cref="CompleteIdempotencyAsync"/> or <see cref="ReleaseIdempotencyAsync"/> it); otherwise the existing record.</returns>
    Task<IdempotencyRecord?> TryClaimIdempotencyAsync(string keyId, string idempotencyKey, byte[] requestHash, DateTimeOffset now, DateTimeOffset expiredBefore, string owner, CancellationToken cancellationToken = default);

    /// <summary>Moves an open claim from <paramref name="fromOwner"/> (a process that stopped) to <paramref name="toOwner"/>;
    /// false when the claim is no longer open or another request took it over first.</summary>
    Task<bool> TryTakeOverIdempotencyAsync(string keyId, string idempotencyKey, string fromOwner, string toOwner, CancellationToken cancellationToken = default);

    /// <summary>Records the answer to a claimed request, so a retry gets the same answer.</summary>
    Task CompleteIdempotencyAsync(string keyId, string idempotencyKey, int statusCode, byte[] body, CancellationToken cancellationToken = default);

    /// <summary>Gives up a claim whose request got no final answer (a store outage), so the client may retry.</summary>
    Task ReleaseIdempotencyAsync(string keyId, string idempotencyKey, CancellationToken cancellationToken = default);

    /// <summary>Deletes idempotency records created before <paramref name="before"/>; returns how many.</summary>
    Task<int> PurgeIdempotencyAsync(DateTimeOffset before, CancellationToken cancellationToken = default);

    /// <summary>Stores what the client attached to a queued message (tags, metadata) and which key submitted it.</summary>
    Task SaveMessageInfoAsync(MessageInfo info, CancellationToken cancellationToken = default);

    /// <summary>Reads what <see cref="SaveMessageInfoAsync"/> stored for a message; null when nothing was.</summary>
    Task<MessageInfo?> GetMessageInfoAsync(string messageId, CancellationToken cancellationToken = default);
}
