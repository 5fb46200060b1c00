namespace ModernMail.Server.Http;

/// <summary>The 202 answer: the message is durably queued.</summary>
internal sealed record AcceptedMessage(string Id, IReadOnlyList<AcceptedRecipient> Recipients);

/// <summary>One recipient of an accepted message; <see cref="MessageId"/> is its own copy's queue id when the message was sent as one
/// copy per recipient (unsubscribe links), else null (left out of the JSON).</summary>
internal sealed record AcceptedRecipient(string Email, string Status, string? MessageId = null);

/// <summary>GET /v1/messages/{id}: the message and each recipient's state.</summary>
internal sealed record MessageStatus(
    string Id,
    string? From,
    long Size,
    string Status,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    IReadOnlyList<RecipientStatus> Recipients,
    IReadOnlyList<string>? Tags,
    System.Text.Json.JsonElement? Metadata);

/// <summary>One recipient's state: queued, delivering, deferred, delivered, bounced or expired; with every finished attempt
/// (GET /v1/messages/{id} only; lists leave it out).</summary>
internal sealed record RecipientStatus(string Email, string Status, int Attempts, DateTimeOffset? NextAttemptAt, string? LastReply, DateTimeOffset UpdatedAt,
    IReadOnlyList<AttemptStatus>? History);

/// <summary>One finished attempt: when, what it left the recipient in, which MX, TLS and recipient policy (none,
/// mta-sts-testing, mta-sts-enforce or dane), and the reply.</summary>
internal sealed record AttemptStatus(int Number, DateTimeOffset At, string Status, string? Mx, string? Tls, string TlsPolicy, string? Reply);

/// <summary>GET /v1/messages: a page of messages, oldest first, and the cursor of the next page.</summary>
internal sealed record MessageList(IReadOnlyList<MessageStatus> Messages, string? NextCursor);

/// <summary>POST /v1/messages/batch: one result per message, in order (an <see cref="AcceptedMessage"/> or a problem).</summary>
internal sealed record BatchResult(IReadOnlyList<object> Results);
