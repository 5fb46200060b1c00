using System;

namespace ModernMail.Queue;

/// <summary>Which stored messages to list, filtered by the store (not in memory), in id order (ids are time-ordered).</summary>
/// <param name="Limit">The most messages to return (at least 1).</param>
/// <param name="AfterId">Only ids greater than this one (ordinal): the cursor of the previous page.</param>
/// <param name="Since">Only messages enqueued at or after this time.</param>
/// <param name="State">Only messages with a recipient in this state.</param>
/// <param name="Recipient">Only messages with this recipient address (case-insensitive).</param>
public sealed record QueueQuery(int Limit, string? AfterId = null, DateTimeOffset? Since = null, RecipientState? State = null, string? Recipient = null);
