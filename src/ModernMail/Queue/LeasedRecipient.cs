namespace ModernMail.Queue;

/// <summary>One recipient of a <see cref="QueueLease"/>.</summary>
/// <param name="Index">The recipient's position in the envelope.</param>
/// <param name="Address">The recipient address.</param>
/// <param name="Attempts">How many attempts have already finished for this recipient.</param>
public sealed record LeasedRecipient(int Index, string Address, int Attempts);
