using System;

namespace ModernMail.Queue;

/// <summary>The result of one attempt for one recipient, as written back to the store.</summary>
/// <param name="Index">The recipient's position in the envelope.</param>
/// <param name="State">The new state (delivered, deferred, bounced or expired).</param>
/// <param name="Attempts">The attempt count including this attempt.</param>
/// <param name="NextAttemptAt">When to try again (deferred only).</param>
/// <param name="LastReply">The reply or error text.</param>
public sealed record RecipientOutcome(int Index, RecipientState State, int Attempts, DateTimeOffset? NextAttemptAt, string? LastReply);
