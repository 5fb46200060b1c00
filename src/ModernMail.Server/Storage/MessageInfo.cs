namespace ModernMail.Server.Storage;

/// <summary>What the server keeps about a queued message beyond the queue itself.</summary>
/// <param name="MessageId">The queue id.</param>
/// <param name="KeyId">The API key that submitted it.</param>
/// <param name="Tags">The client's tags, as a JSON array; null for none.</param>
/// <param name="Metadata">The client's metadata, as a JSON object; null for none.</param>
public sealed record MessageInfo(string MessageId, string KeyId, string? Tags, string? Metadata);
