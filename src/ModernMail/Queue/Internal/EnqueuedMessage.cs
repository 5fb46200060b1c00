namespace ModernMail.Queue.Internal;

/// <summary>A message just stored: its queue id and each recipient's first state (queued, or suppressed by the list).</summary>
internal sealed record EnqueuedMessage(string Id, IReadOnlyList<RecipientState> States);
