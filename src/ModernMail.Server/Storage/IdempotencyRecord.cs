namespace ModernMail.Server.Storage;

/// <summary>The first request made with one Idempotency-Key and, once it finished, the answer it got.</summary>
/// <param name="RequestHash">SHA-256 of the first request (method, path and body).</param>
/// <param name="StatusCode">The HTTP status of the answer; 0 while the first request is still being processed.</param>
/// <param name="Body">The answer's body (JSON); empty while in progress.</param>
/// <param name="CreatedAt">When the first request arrived.</param>
/// <param name="Owner">The server process that holds the claim while it is in progress.</param>
public sealed record IdempotencyRecord(byte[] RequestHash, int StatusCode, byte[] Body, DateTimeOffset CreatedAt, string Owner)
{
    /// <summary>True while the first request has no recorded answer yet.</summary>
    public bool InProgress => StatusCode == 0;
}
