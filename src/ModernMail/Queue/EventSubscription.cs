namespace ModernMail.Queue;

/// <summary>A named reader of the event stream (a webhook endpoint) and how far it has read; kept in the queue store so that a
/// restart, or another node taking over, goes on from the same place.</summary>
/// <param name="Name">The subscription's name, unique per store.</param>
/// <param name="Cursor">The <see cref="QueueEvent.Cursor"/> of the last event handled; null before the first.</param>
/// <param name="CreatedAt">When the subscription was first claimed: events older than this are not for it.</param>
public sealed record EventSubscription(string Name, string? Cursor, DateTimeOffset CreatedAt);
