namespace ModernMail.Server.Status;

/// <summary>How many events of one type the last hour holds; <paramref name="AtLeast"/> when there were more than one read could count.</summary>
/// <param name="Type">The event type ("delivered", "deferred", "bounced", "expired").</param>
/// <param name="Count">The events of that type in the last hour.</param>
/// <param name="AtLeast">True when <paramref name="Count"/> is the most one read returns (<see cref="StatusReader.OutcomeCountLimit"/>): there may be more.</param>
internal sealed record OutcomeCount(string Type, int Count, bool AtLeast);
